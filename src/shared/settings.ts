/**
 * The extension's settings (options page → chrome.storage.local), validated on every read.
 *
 * - `relayUrl`: the token relay. Everything else about sign-in comes from its metadata.
 * - `agile`: the Agile CRM account, as a domain (`acme`) or a full base URL (the sandbox). Sent to the relay as
 *   a hint, and used for the API and web addresses when the relay's token answer does not name them.
 */
import * as v from 'valibot';
import { AgileDomainError, parseAgileDomain } from './agile-domain';
import { isSecureUrl } from './loopback';

export interface Settings {
  relayUrl: string;
  agile: string;
}

export const DEFAULT_SETTINGS: Settings = {
  relayUrl: import.meta.env?.VITE_RELAY_URL ?? 'http://127.0.0.1:8787',
  agile: import.meta.env?.VITE_AGILE ?? '',
};

export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(readonly field: keyof Settings, message: string) {
    super(message);
  }
}

/** https anywhere, http only on this machine (a relay or sandbox run locally). */
export function parseServiceUrl(input: string, field: keyof Settings, what: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new SettingsError(field, `${what} must be a full address, like https://relay.example.com.`);
  }
  if (!isSecureUrl(url)) throw new SettingsError(field, `${what} must start with https:// (http:// is allowed only on this machine: 127.x.x.x or localhost).`);
  if (url.username || url.password || url.search || url.hash) throw new SettingsError(field, `${what} must not contain a login, query or #fragment.`);
  return url.href.replace(/\/+$/, '');
}

export type AgileAccount = { kind: 'none' } | { kind: 'domain'; domain: string; base: string } | { kind: 'url'; base: string };

/** `acme` → https://acme.agilecrm.com; `http://127.0.0.1:8788` → that URL; '' → none. */
export function parseAgileAccount(input: string): AgileAccount {
  const text = input.trim();
  if (!text) return { kind: 'none' };
  if (/^https?:\/\//i.test(text) && !/\.agilecrm\.com(?:[/:]|$)/i.test(text)) {
    return { kind: 'url', base: parseServiceUrl(text, 'agile', 'The Agile CRM address') };
  }
  try {
    const domain = parseAgileDomain(text);
    return { kind: 'domain', domain, base: `https://${domain}.agilecrm.com` };
  } catch (error) {
    throw new SettingsError('agile', error instanceof AgileDomainError ? error.message : 'Check the Agile CRM domain.');
  }
}

/** Checks what the options page saves; throws SettingsError naming the field. */
export function validateSettings(input: Settings): Settings {
  const relayUrl = parseServiceUrl(input.relayUrl, 'relayUrl', 'The relay address');
  parseAgileAccount(input.agile);
  return { relayUrl, agile: input.agile.trim() };
}

const StoredSettings = v.object({ relayUrl: v.string(), agile: v.string() });

/** Storage is a boundary: a damaged or older record falls back to defaults field by field. */
export function readStoredSettings(value: unknown): Settings {
  const parsed = v.safeParse(v.partial(StoredSettings), value);
  return { ...DEFAULT_SETTINGS, ...(parsed.success ? parsed.output : {}) };
}
