/**
 * The side panel benchmark's floor (built only with `vite build --mode bench`, never shipped): shown in the side
 * panel, it hears the same tab event the panel does when Gmail changes conversation, reads that conversation's contacts
 * straight from `chrome.storage.session` (put there by the benchmark) and paints the same cards — no scan, no
 * messages, no cache logic. Its mark's `detail` names the conversation, as the panel's does.
 */
import { render } from 'preact';
import { useState } from 'preact/hooks';
import type { Contact } from '../shared/contact';
import { ContactCard } from '../popup/components/ContactCard';
import { useContactsPaintedMark } from '../popup/paint-mark';
import { conversationKey } from '../scanner/mail-sites';

type Shown = { key: string; contacts: Contact[] };
let show: (shown: Shown) => void = () => undefined;

// Listening from the start, as the panel (open long before) does: not from an effect, which runs after the first paint.
chrome.tabs.onUpdated.addListener((_tabId, change) => {
  const key = conversationKey(change.url);
  if (key) void chrome.storage.session.get('panelFloor').then((stored) => show({ key, contacts: (stored.panelFloor as Record<string, Contact[]>)[key] ?? [] }));
});

function Floor() {
  const [shown, setShown] = useState<Shown | null>(null);
  show = setShown;
  useContactsPaintedMark((shown?.contacts.length ?? 0) > 0, shown?.key ?? null);
  return <main>{shown?.contacts.map((contact) => <ContactCard key={contact.id} contact={contact} webBase="https://demo.agilecrm.com" onChange={() => undefined} />)}</main>;
}

render(<Floor />, document.getElementById('app') as HTMLElement);
