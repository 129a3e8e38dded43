import { useState } from 'preact/hooks';
import type { Contact } from '../../shared/contact';
import type { PageEmail } from '../../shared/messages';
import { contactDraftKey, hasDraft } from '../drafts';
import { AddContactForm } from '../lazy';

/** The page's addresses that are not in Agile CRM, each one click from being added. */
export function MissingList({ people, onAdded }: { people: PageEmail[]; onAdded(contact: Contact): void }) {
  // A form holding a draft comes back open, where the rep left it (drafts.ts).
  const drafted = people.filter((person) => hasDraft(contactDraftKey(person.email))).map((person) => person.email);
  const [open, setOpen] = useState<string | null>(drafted[0] ?? null);
  // Forms stay mounted once opened, so closing one keeps what the rep typed.
  const [opened, setOpened] = useState<ReadonlySet<string>>(() => new Set(drafted));
  if (people.length === 0) return null;
  const toggle = (email: string) => {
    setOpened((previous) => new Set(previous).add(email));
    setOpen(open === email ? null : email);
  };
  return (
    <section class="missing" aria-labelledby="missing-heading">
      <h2 id="missing-heading" class="section-title">Not in Agile CRM ({people.length})</h2>
      <ul class="list">
        {people.map((person) => (
          <li key={person.email} class="missing-item">
            <div class="missing-row">
              <span class="missing-who">
                {person.name && <strong>{person.name} </strong>}
                <span class="muted">{person.email}</span>
              </span>
              <button type="button" class="btn" aria-expanded={open === person.email} aria-label={`Add ${person.email} to Agile CRM`}
                onClick={() => toggle(person.email)}>
                {open === person.email ? 'Close' : 'Add to Agile CRM'}
              </button>
            </div>
            {opened.has(person.email) && (
              <div hidden={open !== person.email}>
                <AddContactForm person={person} onAdded={onAdded} />
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
