/**
 * Contact pictures load only from where Agile CRM serves them; any other URL (contact data an outsider can set)
 * shows initials, so no request goes to a host of the contact's choosing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AVATAR_SOURCES, avatarSource } from '../../src/popup/avatar-source';

const HASH = '0bc83cb571cd1c50ba6f3e8a78ef1346';

/** What a CSP source expression in AVATAR_SOURCES allows, as Chromium matches it (scheme, host, path prefix). */
function allowedByCsp(href: string): boolean {
  const url = new URL(href);
  return AVATAR_SOURCES.some((source) => {
    const allowed = new URL(source.replace('*.', 'wildcard.'));
    const host = source.includes('*.') ? url.hostname.endsWith(allowed.hostname.slice('wildcard'.length)) : url.hostname === allowed.hostname;
    return url.protocol === allowed.protocol && host && url.pathname.startsWith(allowed.pathname);
  });
}

describe('avatarSource', () => {
  it('rebuilds Gravatar pictures from the hash alone: no default image from elsewhere', () => {
    for (const image of [
      `https://www.gravatar.com/avatar/${HASH}?d=https%3A%2F%2Ftracker.example%2Fp.png&s=400`,
      `https://secure.gravatar.com/avatar/${HASH.toUpperCase()}.jpg`,
      `https://0.gravatar.com/avatar/${HASH}?default=https://tracker.example/`,
    ]) expect(avatarSource(image, 36)).toBe(`https://secure.gravatar.com/avatar/${HASH}?s=72&d=404`);
  });

  it('keeps Agile CRM’s own uploads and static pictures as they are', () => {
    const upload = 'https://s3.amazonaws.com/agilecrm/panel/uploaded-logo/1370348163437?id=contact-container';
    expect(avatarSource(upload, 36)).toBe(upload);
    expect(avatarSource('https://doxhze3l6s7v9.cloudfront.net/beta/static/img/agile-logo-50-50.png', 36)).toBe('https://doxhze3l6s7v9.cloudfront.net/beta/static/img/agile-logo-50-50.png');
  });

  it.each([
    'https://tracker.example/pixel.png', 'http://secure.gravatar.com/avatar/' + HASH, 'https://gravatar.com.tracker.example/avatar/' + HASH,
    'https://tracker.example/?u=https://secure.gravatar.com/avatar/' + HASH, 'https://secure.gravatar.com/' + HASH, 'https://secure.gravatar.com/avatar/../x',
    'https://s3.amazonaws.com/tracker-bucket/p.png', 'https://s3.amazonaws.com/agilecrm/../tracker/p.png', 'https://s3.amazonaws.com/agilecrm%2F..%2Ftracker/p.png',
    'https://agilecrm.s3.amazonaws.com.tracker.example/p.png', 'https://user:pw@s3.amazonaws.com/agilecrm/p.png', 'https://s3.amazonaws.com:8443/agilecrm/p.png',
    'https://doxhze3l6s7v9.cloudfront.net.tracker.example/p.png', 'https://other.cloudfront.net/p.png', 'https://127.0.0.1/p.png', 'javascript:alert(1)',
    'data:image/svg+xml,<svg/>', '//tracker.example/p.png', '', 'not a url', 'https://acme.agilecrm.com/p.png',
  ])('shows initials for %j', (image) => {
    expect(avatarSource(image, 36)).toBeNull();
  });

  it('whatever the URL, the answer is null or a URL the extension pages’ CSP allows', () => {
    const hosts = fc.constantFrom('secure.gravatar.com', 'www.gravatar.com', 's3.amazonaws.com', 'doxhze3l6s7v9.cloudfront.net', 'tracker.example', 'gravatar.com.evil', '127.0.0.1');
    const url = fc.tuple(fc.constantFrom('https:', 'http:', 'ftp:'), hosts, fc.webPath(), fc.webQueryParameters()).map(([scheme, host, path, query]) => `${scheme}//${host}${path}?${query}`);
    fc.assert(fc.property(fc.oneof(url, fc.webUrl(), fc.string()), (image) => {
      const source = avatarSource(image, 36);
      if (source !== null) expect(allowedByCsp(source)).toBe(true);
      if (source?.startsWith('https://secure.gravatar.com/')) expect(new URL(source).searchParams.get('d')).toBe('404');
    }), { numRuns: 2_000 });
  });
});
