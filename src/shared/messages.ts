/**
 * The one message protocol between the extension's pages (popup, options) and the service worker. Requests
 * are validated by the worker where they enter (`parseRequest`); every answer is `{ ok: true, value }` or
 * `{ ok: false, error }`, which the pages' `send` (popup/send.ts) turns back into a thrown `AppError`.
 */
import * as v from 'valibot';
import type { Contact } from './contact';
import { isEmailAddress, MAX_ADDRESS_OCTETS } from './email';
import { AppError, type ErrorInfo } from './errors';
import { TASK_PRIORITIES, TASK_TYPES, type Deal, type Note, type Task } from './records';
import type { Settings } from './settings';

export interface SessionView {
  signedIn: boolean;
  /** The Agile CRM user the relay signed in, when it says. */
  user: string | null;
  /** Where "Open in Agile CRM" goes, e.g. https://acme.agilecrm.com. */
  webBase: string | null;
  relayUrl: string;
}

/** An address found on the page, with the name the page shows beside it (if any). */
export interface PageEmail {
  /** As written on the page (shared/email.ts); compared by `emailKey`. */
  email: string;
  name: string;
}

export interface PageScanResult {
  title: string;
  emails: PageEmail[];
  /** How many addresses were found beyond the ones kept. */
  more: number;
}

/** A mail site the extension can follow, as the tab being shown is on it. */
export interface SiteOffer {
  /** The match pattern to request or remove, e.g. `https://mail.google.com/*`. */
  origin: string;
  /** "Gmail", "Outlook". */
  label: string;
  host: string;
  /** The rep granted it: the panel follows it and the badge counts its people. */
  followed: boolean;
}

/** Everything the popup (or side panel) needs for its first paint, in one round trip. */
export interface PopupStart {
  session: SessionView;
  /** Null when signed out. */
  page: (PageScanResult & {
    /** Selected words from the context menu, to search by name. */
    query: string;
    /** What the cache already knows about the page's emails. */
    cached: LookupResult | null;
    /** The page could not be read (a browser page, the Web Store). */
    error: ErrorInfo | null;
    /** These are the open conversation's people (a followed mail site), not the whole page's. */
    thread?: boolean;
    /** Side panel: the page was not read, as it may be only on the rep's click ("Look up this page"). */
    unread?: boolean;
    /** The followable mail site the tab is on, when the extension can see its address. */
    site?: SiteOffer | null;
    /** Side panel: the tab this answer is about. */
    tabId?: number | null;
    /** The followed conversation read (mail-sites.ts's `conversationKey`): the panel does not show it twice in a row. */
    key?: string | null;
  }) | null;
}

export interface LookupResult {
  found: Contact[];
  missing: PageEmail[];
  /** Cache answers only: emails the cache knows nothing about yet. */
  pending: PageEmail[];
  /**
   * Not looked up: not an address by shared/email.ts, or one Agile CRM refused to search for. Shown apart; they
   * never fail the lookup of the others.
   */
  unusable: PageEmail[];
  /** When Agile CRM last answered for these emails (the oldest entry, for cache answers). */
  updatedAt: number | null;
  webBase: string;
  source: 'cache' | 'agile';
}

export interface ContactDetails {
  notes: Note[];
  /** Open tasks only, soonest due first. */
  tasks: Task[];
  deals: Deal[];
}

/** A lookup started outside the popup (context menu), waiting for the popup to show it. */
export interface PendingLookup {
  emails: PageEmail[];
  /** Selected text without an address: searched by name instead. */
  query: string;
}

/** An address given whole (the add-contact form): trimmed, then checked by the one definition in email.ts. */
export const EmailAddress = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(MAX_ADDRESS_OCTETS, 'That email address is too long.'),
  v.check(isEmailAddress, 'That is not an email address.'),
);

/**
 * An address to look up, as sent by a page. Any string is taken: one that is not an address comes back as
 * `unusable` rather than failing the whole request (background/lookup.ts sorts them).
 */
const LookupEmail = v.object({
  email: v.pipe(v.string(), v.trim()),
  name: v.pipe(v.string(), v.transform((name) => name.slice(0, 200))),
});
const Id = v.pipe(v.string(), v.regex(/^\d{1,20}$/, 'is not an Agile CRM id'));
const Line = (max: number) => v.pipe(v.string(), v.trim(), v.maxLength(max, `Keep it under ${max} characters.`));
const Tag = v.pipe(v.string(), v.trim(), v.minLength(1, 'A tag cannot be empty.'), v.maxLength(100, 'A tag can have at most 100 characters.'),
  v.regex(/^[^,<>"]+$/, 'Tags may not contain , < > or ".'));

export const NewContactSchema = v.object({
  firstName: v.pipe(Line(100), v.minLength(1, 'First name is required.')),
  lastName: Line(100),
  email: EmailAddress,
  company: Line(200),
  title: Line(200),
  phone: Line(50),
  tags: v.pipe(v.array(Tag), v.maxLength(50)),
});
export type NewContact = v.InferOutput<typeof NewContactSchema>;

export const NewTaskSchema = v.object({
  subject: v.pipe(Line(500), v.minLength(1, 'A task needs a subject.')),
  type: v.picklist(TASK_TYPES),
  priority: v.picklist(TASK_PRIORITIES),
  /** Epoch seconds. */
  due: v.pipe(v.number(), v.integer(), v.minValue(0)),
});
export type NewTask = v.InferOutput<typeof NewTaskSchema>;

export const RequestSchema = v.variant('type', [
  v.object({ type: v.literal('getSession') }),
  v.object({ type: v.literal('signIn') }),
  v.object({ type: v.literal('signOut') }),
  v.object({ type: v.literal('openPopup'), tabId: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0))) }),
  v.object({ type: v.literal('openPanel'), tabId: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0))), read: v.boolean() }),
  v.object({ type: v.literal('lookup'), emails: v.pipe(v.array(LookupEmail), v.maxLength(500, 'Look up at most 500 addresses at a time.')), source: v.picklist(['cache', 'agile']) }),
  v.object({ type: v.literal('search'), query: v.pipe(Line(200), v.minLength(1, 'Type a name, company or email.')) }),
  v.object({ type: v.literal('contactDetails'), id: Id }),
  v.object({ type: v.literal('addContact'), contact: NewContactSchema }),
  v.object({ type: v.literal('addNote'), id: Id, subject: v.pipe(Line(500), v.minLength(1, 'A note needs a subject.')), description: Line(20_000) }),
  v.object({ type: v.literal('editTags'), id: Id, tags: v.pipe(v.array(Tag), v.minLength(1), v.maxLength(50)), mode: v.picklist(['add', 'remove']) }),
  v.object({ type: v.literal('addTask'), id: Id, task: NewTaskSchema }),
  v.object({ type: v.literal('getSettings') }),
  v.object({ type: v.literal('saveSettings'), settings: v.object({ relayUrl: Line(2048), agile: Line(2048) }) }),
  v.object({ type: v.literal('clearCache') }),
]);

export type Request = v.InferOutput<typeof RequestSchema>;

/** What each request answers. */
export interface Responses {
  getSession: SessionView;
  signIn: SessionView;
  signOut: SessionView;
  openPopup: PopupStart;
  openPanel: PopupStart;
  lookup: LookupResult;
  search: Contact[];
  contactDetails: ContactDetails;
  addContact: Contact;
  addNote: Note;
  editTags: Contact;
  addTask: Task;
  getSettings: Settings;
  saveSettings: Settings;
  clearCache: null;
}

export type RequestOf<K extends Request['type']> = Extract<Request, { type: K }>;
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export function parseRequest(input: unknown): Request {
  const parsed = v.safeParse(RequestSchema, input);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    // Messages written for people are whole sentences; valibot's own (a malformed request) get the field path.
    const sentence = /^[A-Z]/.test(issue.message);
    const field = issue.path?.map((item) => String(item.key)).join('.') ?? '';
    throw new AppError('bad_input', sentence || !field ? issue.message : `${field}: ${issue.message}`);
  }
  return parsed.output;
}
