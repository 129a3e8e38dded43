/** Display helpers for the popup: times, money, addresses, safe link targets. Pure, so they are unit-tested. */
import type { Address } from '../shared/contact';

/** The Agile CRM web app's address for a contact. */
export function contactUrl(webBase: string, id: string): string {
  return `${webBase.replace(/\/+$/, '')}/#contact/${encodeURIComponent(id)}`;
}

/** One line for display: "120 Street, Detroit, Michigan 48201, US", or the raw text when it was not JSON. */
export function formatAddress(address: Address): string {
  const cityLine = [address.city, [address.state, address.zip].filter(Boolean).join(' ')].filter(Boolean);
  const parts = [address.address, ...cityLine, address.country].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : address.text;
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

export function money(value: number): string {
  return value.toLocaleString(undefined, { maximumFractionDigits: 0 });
}

/** Only http(s) URLs become links; anything else (javascript:, data:…) is shown as text. */
export function safeHttpUrl(value: string): string | null {
  try {
    const url = new URL(value.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
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
