/**
 * The recipients of a `mailto:` URL (RFC 6068): the addresses before `?`, and those of its `to`, `cc` and `bcc`
 * header fields. The URL is split into fields before anything is percent-decoded (UTF-8), so an encoded `&` or `=`
 * stays inside its field.
 */
import { findAddresses, isEmailAddress } from '../shared/email';

const RECIPIENT_FIELDS = new Set(['to', 'cc', 'bcc']);

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    // A malformed escape should not hide the address next to it.
    return part;
  }
}

/** The addresses in one decoded list (`a@x.com, Ada <b@y.com>`), as written. */
function addressesIn(list: string): string[] {
  return list.split(',').flatMap((item) => {
    const whole = item.trim();
    return isEmailAddress(whole) ? [whole] : findAddresses(whole).map((match) => match.address);
  });
}

/**
 * @example mailtoRecipients('mailto:a@x.com,b@y.com?cc=c@z.com&subject=Hi&bcc=d%40w.com')
 *   // ['a@x.com', 'b@y.com', 'c@z.com', 'd@w.com']
 */
export function mailtoRecipients(url: string): string[] {
  if (!/^mailto:/i.test(url)) return [];
  const rest = url.slice('mailto:'.length);
  const query = rest.indexOf('?');
  const recipients = addressesIn(decode(query === -1 ? rest : rest.slice(0, query)));
  if (query !== -1) {
    for (const field of rest.slice(query + 1).split('&')) {
      const equals = field.indexOf('=');
      if (equals === -1) continue;
      if (RECIPIENT_FIELDS.has(decode(field.slice(0, equals)).toLowerCase())) recipients.push(...addressesIn(decode(field.slice(equals + 1))));
    }
  }
  return [...new Set(recipients)];
}
