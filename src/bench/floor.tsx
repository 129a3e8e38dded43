/**
 * The benchmark's floor (built only with `vite build --mode bench`, never shipped): the same contact cards the
 * popup paints, read straight from `chrome.storage.session` with no scan, no messages and no cache logic.
 * Nothing can show the contacts faster, so the popup is judged against it.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Contact } from '../shared/contact';
import { ContactCard } from '../popup/components/ContactCard';
import { useContactsPaintedMark } from '../popup/paint-mark';

/** Read as the page loads, before the first render — exactly as early as the popup asks the worker. */
const reading = chrome.storage.session.get('floor');

function Floor() {
  const [contacts, setContacts] = useState<Contact[]>([]);
  useEffect(() => {
    void reading.then((stored) => setContacts((stored.floor as Contact[] | undefined) ?? []));
  }, []);
  useContactsPaintedMark(contacts.length > 0);
  return <main>{contacts.map((contact) => <ContactCard key={contact.id} contact={contact} webBase="https://demo.agilecrm.com" onChange={() => undefined} />)}</main>;
}

render(<Floor />, document.getElementById('app') as HTMLElement);
