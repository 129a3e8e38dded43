/**
 * The page scanner: built on its own (scripts/page-script.ts → page-file.ts's `page-scan.js`) and injected on
 * demand with `chrome.scripting.executeScript({ files: [PAGE_SCRIPT_FILE] })`, so none of it weighs on the service worker. It reads
 * the page (collect.ts), or — on Gmail and Outlook on the web with a conversation open — that conversation
 * (mail-thread.ts), finds the people (people.ts) and returns them; the worker checks the answer (background/lookup.ts).
 *
 * The file leaves its function in the extension's isolated world of the page (`PAGE_SCANNER`): the worker calls it for
 * every later scan of the same document — a single-page mail app's next conversation reads with warm code — and hands
 * it a context-menu click's selection or link to read instead of the page.
 */
import { collectPageEmails, type Candidate } from './collect';
import { conversationKey, mailSiteOf } from './mail-sites';
import { readThread } from './mail-thread';
import { PAGE_SCANNER } from './page-file';
import { findPeople } from './people';

export interface PageScanAnswer {
  title: string;
  /** `document.contentType`: Chrome shows a PDF in a viewer no script can read. */
  contentType: string;
  emails: { email: string; name: string }[];
  more: number;
  /** Whether these are the open conversation's people (a mail site) rather than the whole page's. */
  thread: boolean;
  /** The signed-in account the mail site names, to leave out. */
  account: string | null;
  /** A mail site's URL names a conversation its page does not show yet (still rendering): read again shortly. */
  awaiting: boolean;
}

function scan(input?: Candidate | null): PageScanAnswer {
  const base = { title: document.title, contentType: document.contentType, thread: false, account: null, awaiting: false };
  if (input) return { ...base, ...findPeople([input]) };
  const site = mailSiteOf(location.href);
  const thread = site ? readThread(document, site.site) : null;
  if (thread) {
    const people = findPeople(thread.candidates);
    const own = thread.account?.toLowerCase();
    const emails = people.emails.filter((person) => person.email.toLowerCase() !== own);
    return { ...base, emails, more: people.more, thread: true, account: thread.account };
  }
  // A conversation's URL before its messages are on the page: never the list behind it for its people.
  if (conversationKey(location.href)) return { ...base, emails: [], more: 0, awaiting: true };
  const page = collectPageEmails();
  return { ...base, ...findPeople(page.candidates) };
}

(globalThis as unknown as Record<string, unknown>)[PAGE_SCANNER] = scan;

export default scan();
