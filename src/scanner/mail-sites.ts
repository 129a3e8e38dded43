/**
 * The mail sites the extension can follow, and which conversation a URL of theirs shows. Pure, so the worker, the
 * pages and the unit tests share one definition.
 *
 * Gmail keeps the conversation in the fragment (`#inbox/FMfcgz…`, `#label/Clients/FMfcgz…`, `#search/ada/FMfcgz…`),
 * Outlook on the web in the path (`/mail/inbox/id/AAQkAD…`, `/mail/0/id/…`, `/mail/deeplink/read/…`) or, in older
 * links, an `ItemID` query parameter. A compose window, a reply box or a tracking parameter is not another
 * conversation: the key leaves them out.
 */

export type MailSite = 'gmail' | 'outlook';

/** The sites a rep can ask the extension to follow (manifest `optional_host_permissions`, the same list). */
export const FOLLOWABLE_SITES = [
  { site: 'gmail', host: 'mail.google.com', origin: 'https://mail.google.com/*', label: 'Gmail' },
  { site: 'outlook', host: 'outlook.office.com', origin: 'https://outlook.office.com/*', label: 'Outlook' },
  { site: 'outlook', host: 'outlook.office365.com', origin: 'https://outlook.office365.com/*', label: 'Outlook' },
  { site: 'outlook', host: 'outlook.live.com', origin: 'https://outlook.live.com/*', label: 'Outlook.com' },
] as const satisfies readonly { site: MailSite; host: string; origin: string; label: string }[];

export type FollowableSite = (typeof FOLLOWABLE_SITES)[number];

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The followable site a URL belongs to (https only, exact host), or null. */
export function mailSiteOf(url: string | undefined): FollowableSite | null {
  const parsed = url ? parse(url) : null;
  if (!parsed || parsed.protocol !== 'https:' || parsed.port) return null;
  return FOLLOWABLE_SITES.find((entry) => entry.host === parsed.hostname) ?? null;
}

/** A conversation id as the sites write them: letters, digits and `-_+/=`, long enough not to be a label. */
const ID = /^[A-Za-z0-9_\-+/=]{16,400}$/;
/** Gmail's views whose last fragment segment is a conversation. */
const GMAIL_VIEWS = new Set(['inbox', 'starred', 'snoozed', 'sent', 'drafts', 'imp', 'all', 'spam', 'trash', 'scheduled', 'label', 'search', 'category', 'chats', 'advanced-search']);
/**
 * Views named by a segment of their own (`#label/Clients+In+Progress`, `#search/quarterly+report`): that segment is a
 * list, however long, and a conversation opened from it comes after it.
 */
const GMAIL_NAMED_VIEWS = new Set(['label', 'search', 'category', 'advanced-search']);

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function gmailKey(url: URL): string | null {
  // `#inbox/ID?compose=new`: what follows `?` in the fragment is a window over the conversation, not another one.
  const fragment = url.hash.slice(1).split('?')[0] ?? '';
  const parts = fragment.split('/').filter(Boolean);
  if (parts.length < 2 || !GMAIL_VIEWS.has(parts[0]!) || (GMAIL_NAMED_VIEWS.has(parts[0]!) && parts.length < 3)) return null;
  const id = parts[parts.length - 1]!;
  if (!ID.test(id)) return null;
  // One signed-in account per `/mail/u/N/`: the same id under another account is another mailbox.
  const account = /^\/mail\/(?:u\/(\d{1,2})\/?)?/.exec(url.pathname)?.[1] ?? '0';
  return `gmail:${account}:${id}`;
}

function outlookKey(url: URL): string | null {
  const segments = url.pathname.split('/').filter(Boolean).map(decode);
  const at = segments.indexOf('id');
  const read = segments.indexOf('read');
  const id = at !== -1 ? segments[at + 1] : read !== -1 && segments[read - 1] === 'deeplink' ? segments[read + 1] : url.searchParams.get('ItemID') ?? undefined;
  if (!id || !ID.test(id)) return null;
  return `outlook:${url.hostname}:${id}`;
}

/**
 * Which conversation a mail site's URL shows, as a key equal for equal conversations; null when it is not a
 * followable site or no conversation is open (a list, settings).
 *
 * @example conversationKey('https://mail.google.com/mail/u/0/#label/Clients/FMfcgzQXJWDsKmsN?compose=new')
 *   // 'gmail:0:FMfcgzQXJWDsKmsN'
 */
export function conversationKey(url: string | undefined): string | null {
  const site = mailSiteOf(url);
  if (!site) return null;
  const parsed = parse(url!)!;
  return site.site === 'gmail' ? gmailKey(parsed) : outlookKey(parsed);
}
