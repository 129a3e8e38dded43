import type { Contact } from '../shared/contact';
import { emailKey } from '../shared/email';
import type { LookupResult } from '../shared/messages';

/** The lookup with these contacts in their edited versions: replaced where shown, added, no longer missing. */
export function withEdits(result: LookupResult, contacts: Iterable<Contact>): LookupResult {
  let { found, missing } = result;
  for (const contact of contacts) {
    const emails = new Set(contact.emails.map((email) => emailKey(email.value)));
    found = found.some((item) => item.id === contact.id)
      ? found.map((item) => (item.id === contact.id ? contact : item))
      : [...found, contact];
    missing = missing.filter((person) => !emails.has(emailKey(person.email)));
  }
  return { ...result, found, missing };
}
