import type { PageEmail } from '../../shared/messages';

/** Addresses on the page that were not looked up (Agile CRM refused to search for them), listed apart from the rest. */
export function UnusableList({ people }: { people: PageEmail[] }) {
  if (people.length === 0) return null;
  return (
    <section class="missing" aria-labelledby="unusable-heading">
      <h2 id="unusable-heading" class="section-title">Not looked up ({people.length})</h2>
      <p class="muted small">Agile CRM can’t search for {people.length === 1 ? 'this address' : 'these addresses'}; search by name above.</p>
      <ul class="list">
        {people.map((person) => <li key={person.email} class="muted">{person.name && <strong>{person.name} </strong>}{person.email}</li>)}
      </ul>
    </section>
  );
}
