/**
 * The people of the conversation open in Gmail or Outlook on the web, read from the markup those apps put on people
 * (public patterns, mirrored by the sandbox's fixture pages in src/sandbox/mail-fixtures.ts). Runs in the page, inside
 * the injected page scanner (page.ts), on a `ParentNode` so the unit tests can hand it a parsed fixture.
 *
 * - Gmail marks every person with `email` and `name` attributes: the sender of each expanded message (`.gD`),
 *   collapsed messages' senders (`.zF`, `.yP`), recipients (`.g2`, "to me"), and the expanded details table whose
 *   rows are labelled `from:`, `to:`, `cc:`, `bcc:`, `reply-to:`. Quoted mail reads "On …, Ada <ada@…> wrote:".
 * - Outlook on the web shows "Name <address>" in persona elements: their text, `title` and `aria-label`
 *   ("From: Ada Lovelace <ada@…>", "To: Bob <bob@…>; Dana <dana@…>").
 *
 * The result is candidates in the order the panel lists people — the sender of the latest message first, then
 * everyone else as they appear — for `findPeople`, which decides what an address is and dedupes.
 */
import type { Candidate } from './collect';
import type { MailSite } from './mail-sites';

export interface ThreadRead {
  /** Sender first, then the others, then the conversation's running text. */
  candidates: Candidate[];
  /** The signed-in account the page names, when it names one reliably (Gmail's title and account button). */
  account: string | null;
}

type Role = 'from' | 'other';

/** `from:`, `From: Ada <…>` → 'from'; `to:`, `Cc: …` and anything else → 'other'. */
export function roleOfLabel(label: string): Role {
  return /^\s*from\s*:/i.test(label) ? 'from' : 'other';
}

/** Gmail's "Subject - ada@example.com - Gmail" (any number of parts before): the account, else null. */
export function gmailAccountFromTitle(title: string): string | null {
  const match = / - ([^\s<>()@]{1,64}@[^\s<>()@]{1,255}) - Gmail$/.exec(title.slice(-400));
  return match?.[1] ?? null;
}

/** Gmail's account button: "Google Account: Dana Demo (dana@example.com)". */
export function gmailAccountFromLabel(label: string): string | null {
  const match = /^Google Account:[^(]{0,200}\(([^\s()@]{1,64}@[^\s()@]{1,255})\)\s*$/.exec(label.slice(0, 600));
  return match?.[1] ?? null;
}

const attribute = (text: string, name: string): Candidate => ({ text, name: name.slice(0, 200), source: 'attribute' });
const text = (root: Node): Candidate[] => {
  const content = (root.textContent ?? '').slice(0, 1_000_000);
  return content.includes('@') ? [{ text: content, name: '', source: 'text' }] : [];
};

function readGmail(root: ParentNode): ThreadRead | null {
  const subject = root.querySelector('[role="main"] h2.hP');
  const thread = subject?.closest('[role="main"]');
  if (!thread) return null;
  const from: Candidate[] = [];
  const others: Candidate[] = [];
  for (const element of Array.from(thread.querySelectorAll('[email]'))) {
    const email = element.getAttribute('email') ?? '';
    const name = element.getAttribute('name') ?? '';
    // A row of the details table names its role in its first cell; the header says it by class.
    const row = element.closest('tr');
    const label = row?.firstElementChild?.textContent ?? '';
    const isFrom = row ? roleOfLabel(label) === 'from' : element.matches('.gD, .zF, .yP');
    (isFrom ? from : others).push(attribute(email, name === 'me' ? '' : name));
  }
  const document = (root as Node).ownerDocument ?? (root as Document);
  const title = document.title ?? '';
  const button = root.querySelector('a[aria-label^="Google Account:"]')?.getAttribute('aria-label') ?? '';
  const account = gmailAccountFromTitle(title) ?? gmailAccountFromLabel(button);
  // The latest message's sender leads; earlier senders follow with everyone else.
  const sender = from.length > 0 ? [from[from.length - 1]!] : [];
  return { candidates: [...sender, ...from.slice(0, -1), ...others, ...text(thread)], account };
}

function readOutlook(root: ParentNode): ThreadRead | null {
  const pane = root.querySelector('#ReadingPaneContainerId, [aria-label="Reading Pane"]');
  if (!pane) return null;
  const from: Candidate[] = [];
  const others: Candidate[] = [];
  for (const element of Array.from(pane.querySelectorAll('[aria-label*="@"], [title*="@"]'))) {
    const label = element.getAttribute('aria-label') ?? '';
    const title = element.getAttribute('title') ?? '';
    // A persona's text is its name when its title holds the address alone.
    const name = title && !label ? (element.textContent ?? '').trim() : '';
    const holder = label.includes('@') ? label : title;
    const labelled = label ? label : element.closest('[aria-label]')?.getAttribute('aria-label') ?? '';
    (roleOfLabel(labelled) === 'from' ? from : others).push(attribute(holder, name));
  }
  const sender = from.length > 0 ? [from[from.length - 1]!] : [];
  return { candidates: [...sender, ...from.slice(0, -1), ...others, ...text(pane)], account: null };
}

/**
 * The open conversation's people, or null when none is open (a list view) or the page is not of that site's shape.
 *
 * @example readThread(document, 'gmail') // { candidates: [{ text: 'ada@…', name: 'Ada Lovelace', … }, …], account: 'dana@…' }
 */
export function readThread(root: ParentNode, site: MailSite): ThreadRead | null {
  return site === 'gmail' ? readGmail(root) : readOutlook(root);
}
