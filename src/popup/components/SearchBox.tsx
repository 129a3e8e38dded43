import { useState } from 'preact/hooks';

/** Search Agile CRM by name, company or email — for pages without addresses. */
export function SearchBox({ initial, busy, onSearch, onClear }: { initial: string; busy: boolean; onSearch(query: string): void; onClear(): void }) {
  const [query, setQuery] = useState(initial);
  const submit = (event: Event) => {
    event.preventDefault();
    if (query.trim() && !busy) onSearch(query.trim());
  };
  return (
    <form class="search" role="search" onSubmit={submit}>
      <input
        type="search"
        aria-label="Search Agile CRM by name, company or email"
        placeholder="Search Agile CRM…"
        value={query}
        maxLength={200}
        autofocus
        onInput={(event) => {
          setQuery(event.currentTarget.value);
          if (!event.currentTarget.value) onClear();
        }}
      />
      <button type="submit" class="btn" aria-disabled={busy || !query.trim()}>Search</button>
    </form>
  );
}
