/** Display helpers for the popup: times, money, addresses, safe link targets. Pure, so they are unit-tested. */
import type { Address } from '../shared/contact';
import { readsAsAddress } from '../shared/postal';

/** The Agile CRM web app's address for a contact. */
export function contactUrl(webBase: string, id: string): string {
  return `${webBase.replace(/\/+$/, '')}/#contact/${encodeURIComponent(id)}`;
}

/**
 * One line for display: "120 Street, Detroit, Michigan 48201, US", or the free text Agile holds when it reads as an
 * address (checked again here: a contact cached by an older version may hold any text); '' when there is nothing.
 */
export function formatAddress(address: Address): string {
  const cityLine = [address.city, [address.state, address.zip].filter(Boolean).join(' ')].filter(Boolean);
  const parts = [address.address, ...cityLine, address.country].filter(Boolean);
  if (parts.length > 0) return parts.join(', ');
  return readsAsAddress(address.text) ? address.text.trim() : '';
}


/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function relativeTime(at: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** Epoch seconds as a short local date: "12 Mar 2026". */
export function shortDate(seconds: number): string {
  return new Date(seconds * 1000).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/**
 * A deal's amount: decimals kept when it has them ("120,000.50"), none when whole; with the currency (an ISO 4217
 * code) when Agile gives one ("$120,000.50").
 */
export function money(value: number, currency: string | null = null, locale?: string): string {
  const digits = { minimumFractionDigits: Number.isInteger(value) ? 0 : 2, maximumFractionDigits: 2 };
  // Any well-formed code formats (one the browser does not know shows as "ZZZ 99.99"); agile-records.ts checks the form.
  return value.toLocaleString(locale, currency ? { style: 'currency', currency, ...digits } : digits);
}

/** A scheme: letters then `:`, not `host:port`. */
const SCHEME = /^[a-z][a-z0-9+.-]*:(?!\d)/i;

/**
 * Only http(s) URLs become links; anything else (javascript:, data:, skype:…) is shown as text. A host written
 * without a scheme (`www.example.mx`, `example.mx/team`) becomes an https: link — never any other scheme — unless
 * `hostWithoutScheme` is false (a Skype name such as `ada.lovelace` looks like a host and is not one).
 */
export function safeHttpUrl(value: string, hostWithoutScheme = true): string | null {
  const text = value.trim();
  try {
    if (SCHEME.test(text)) {
      const url = new URL(text);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    }
    if (!hostWithoutScheme) return null;
    const url = new URL(`https://${text.replace(/^\/\//, '')}`);
    const host = url.hostname;
    const plainHost = !url.username && !url.password && host.includes('.') && /^[a-z0-9.-]+$/.test(host) && !host.startsWith('.');
    return /\s/.test(text) || !plainHost ? null : url.href;
  } catch {
    return null;
  }
}

/** Agile's website subtypes, as their owners write them; `URL` is the plain website. */
const SITE_LABELS: Readonly<Record<string, string>> = {
  URL: 'Website', SKYPE: 'Skype', TWITTER: 'Twitter', LINKEDIN: 'LinkedIn', FACEBOOK: 'Facebook', XING: 'XING',
  FEED: 'Feed', GOOGLE_PLUS: 'Google+', FLICKR: 'Flickr', GITHUB: 'GitHub', YOUTUBE: 'YouTube',
};

/** The label of a website row: "Website", "LinkedIn"…, or the subtype in words for one Agile added later. */
export function websiteLabel(subtype: string): string {
  return SITE_LABELS[subtype.toUpperCase()] ?? (subtype ? label(subtype) : 'Website');
}

/** A dialable tel: URL, or null when the text holds no phone number. */
export function telUrl(value: string): string | null {
  const digits = value.replace(/[^\d+]/g, '');
  return /^\+?\d{3,20}$/.test(digits) ? `tel:${digits}` : null;
}

export function initials(name: string): string {
  const letters = name.trim().split(/\s+/).map((word) => Array.from(word)[0] ?? '').join('');
  return (Array.from(letters).slice(0, 2).join('') || '?').toUpperCase();
}

/** "FOLLOW_UP" → "Follow up". */
export function label(value: string): string {
  const words = value.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Splits a display name into the first/last fields of the add-contact form. */
export function splitName(name: string): { firstName: string; lastName: string } {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { firstName: '', lastName: '' };
  return { firstName: words[0] ?? '', lastName: words.slice(1).join(' ') };
}

/** A guess at the company from an email's domain ("brightwave.example" → "Brightwave"), skipping webmail. */
export function companyFromEmail(email: string): string {
  const domain = email.split('@')[1] ?? '';
  const name = domain.split('.')[0] ?? '';
  if (/^(gmail|googlemail|yahoo|hotmail|outlook|live|icloud|me|aol|proton|protonmail|gmx|mail|yandex)$/.test(name)) return '';
  return name.charAt(0).toUpperCase() + name.slice(1);
}
