/**
 * Where the popup may load a contact's picture from. The picture's URL is contact data — anyone who can fill in a
 * web form feeding Agile CRM can set it — so loading it as given would tell that person when, and from which
 * address, a rep looked at the contact. Only the hosts Agile CRM itself serves pictures from are allowed:
 *
 * - Gravatar, where Agile CRM's web app takes pictures from. The URL is rebuilt on `secure.gravatar.com` from the
 *   hash alone, with `d=404`: a `d=` default image would make Gravatar fetch (or redirect to) a host of the
 *   contact's choosing.
 * - Agile CRM's uploads bucket (`s3.amazonaws.com/agilecrm/…`, path-style: other buckets on that host are not
 *   Agile's) and its static CDN (`doxhze3l6s7v9.cloudfront.net`), as in Agile CRM's own default contacts.
 *
 * Anything else shows the contact's initials. The manifest's `img-src` lists the same sources (checked by a test),
 * so a URL that slipped through here would still not load.
 */

/** The manifest's `img-src` sources beyond 'self' and data:, in CSP syntax. */
export const AVATAR_SOURCES = ['https://secure.gravatar.com', 'https://s3.amazonaws.com/agilecrm/', 'https://doxhze3l6s7v9.cloudfront.net'] as const;

const GRAVATAR_HOST = /^(?:[a-z0-9-]+\.)?gravatar\.com$/;
/** `/avatar/<MD5 or SHA-256 of the email, hex>`, optionally with an image extension. */
const GRAVATAR_PATH = /^\/avatar\/([0-9a-f]{32}|[0-9a-f]{64})(?:\.(?:jpg|jpeg|png))?$/i;

/**
 * The URL to load for a contact's `image`, or null to show initials. `size` is the displayed size in CSS pixels.
 *
 * @example avatarSource('https://www.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346?d=https://x.example/p.png', 36)
 * // 'https://secure.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346?s=72&d=404'
 */
export function avatarSource(image: string, size: number): string | null {
  let url: URL;
  try {
    url = new URL(image);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return null;
  if (GRAVATAR_HOST.test(url.hostname)) {
    const hash = GRAVATAR_PATH.exec(url.pathname)?.[1];
    return hash ? `https://secure.gravatar.com/avatar/${hash.toLowerCase()}?s=${Math.round(size * 2)}&d=404` : null;
  }
  if (url.hostname === 's3.amazonaws.com' && url.pathname.startsWith('/agilecrm/')) return url.href;
  if (url.hostname === 'doxhze3l6s7v9.cloudfront.net') return url.href;
  return null;
}
