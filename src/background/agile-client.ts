/**
 * The Agile CRM REST client, faithful to the API's documented behaviour and observed quirks:
 *
 * - always `Accept: application/json` (Agile answers XML otherwise);
 * - 204 / an empty body / `null` mean "not found", never an error;
 * - batch lookups answer `null` (or nothing) for misses, so results are matched by email, not by position;
 * - addresses are asked for as written on the page (Agile compares the stored string; its documentation calls every
 *   value case-sensitive), and in lower case too when that differs; answers match by `emailKey`;
 * - a batch Agile refuses with 400 (a "malformed email" to Agile's own rules) is split until the addresses it
 *   refuses are alone: those come back as refused, the others are looked up;
 * - an email in a path is percent-encoded, `+` as %2B (Agile reads a raw `+` as a space);
 * - 400 duplicate-email and 406 contact-limit answers become messages a rep understands, and a 404 is said for the
 *   action that met it (a note for a contact that is gone, a search on a wrong account address…);
 * - 429 / 5xx / network failures are retried a bounded number of times, honouring `Retry-After`;
 * - a 401 triggers one token refresh and one retry.
 *
 * Contacts, notes, tasks and deals are parsed by the shared model, never here.
 */
import { ContactParseError, contactEmails, parseContact, type Contact } from '../shared/contact';
import { emailKey, isEmailAddress } from '../shared/email';
import { AppError } from '../shared/errors';
import type { NewContact, NewTask } from '../shared/messages';
import type { Deal, Note, Task } from '../shared/records';
import { parseDeals, parseNotes, parseTasks } from './agile-records';
import type { AccessGrant } from './auth';

export interface AgileClientOptions {
  getAccessToken(failedToken?: string): Promise<AccessGrant>;
  /** Called when Agile CRM refuses even a freshly renewed token: the session is over. */
  sessionRejected?(): Promise<void>;
  fetch?: typeof fetch;
  /** Emails per batch lookup request. */
  batchSize?: number;
  timeoutMs?: number;
  /** Retries after the first attempt, for 429 / 5xx / network failures. */
  retries?: number;
  /** Longest `Retry-After` the client will wait; a longer one fails at once with "try again later". */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

type Body = { form: URLSearchParams } | { json: unknown };

interface Call {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: Body;
  /** Safe to send again after a network failure (reads; writes are retried only when refused with 429). */
  idempotent: boolean;
  /** What a 404 means for this action, in the rep's words. */
  notFound: string;
}

/** Words for a 404, by what was asked. */
const GONE = 'This contact is no longer in Agile CRM';
const NOT_FOUND = {
  lookup: 'Agile CRM answered “not found” to the address lookup. Check the Agile CRM domain in Settings.',
  search: 'Agile CRM answered “not found” to the search. Check the Agile CRM domain in Settings.',
  record: `${GONE}.`,
  createContact: 'Agile CRM answered “not found”, so the contact was not added. Check the Agile CRM domain in Settings.',
  addNote: `${GONE}, so the note was not added.`,
  addTask: `${GONE}, so the task was not added.`,
  editTags: `${GONE}, so its tags were not changed.`,
} as const;

export interface EmailLookup {
  /** Each found address's `emailKey` → its contact. */
  found: Map<string, Contact>;
  /** Addresses (as given) Agile CRM refused to search for; not looked up. */
  refused: string[];
}

const RETRYABLE = new Set([429, 502, 503, 504]);

export function newContactProperties(input: NewContact): Array<Record<string, string>> {
  const properties: Array<Record<string, string>> = [
    { type: 'SYSTEM', name: 'first_name', value: input.firstName.trim() },
    { type: 'SYSTEM', name: 'email', value: input.email.trim(), subtype: 'work' },
  ];
  if (input.lastName.trim()) properties.push({ type: 'SYSTEM', name: 'last_name', value: input.lastName.trim() });
  if (input.company.trim()) properties.push({ type: 'SYSTEM', name: 'company', value: input.company.trim() });
  if (input.title.trim()) properties.push({ type: 'SYSTEM', name: 'title', value: input.title.trim() });
  if (input.phone.trim()) properties.push({ name: 'phone', value: input.phone.trim(), subtype: 'work' });
  return properties;
}

/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds (digits only) or an HTTP-date, as milliseconds to wait from
 * `now`; null when the header is absent or is neither form (then the client's own backoff applies). A date in the
 * past is 0.
 *
 * @example parseRetryAfter('120') // 120000
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  const text = value?.trim() ?? '';
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date starts with a day name (IMF-fixdate, RFC 850 or asctime); Date.parse alone would take "1" or "2024".
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/.test(text)) return null;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** "in 45 seconds", "in 2 minutes": when the rep may try again. */
function inWords(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds <= 90) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return minutes <= 90 ? `in ${minutes} minutes` : 'later';
}

/** The `error_description` of an OAuth-shaped error body (`{ error, error_description }`), at most 300 characters; else null. */
function relayRefusal(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { error, error_description: description } = parsed as Record<string, unknown>;
    return typeof error === 'string' && typeof description === 'string' && description.trim() ? description.trim().slice(0, 300) : null;
  } catch {
    return null;
  }
}

/** Agile's own words for a 400 are usually the best explanation; keep them short and plain. */
async function failureFor(response: Response, call: Call, retryAfterMs: number | null): Promise<AppError> {
  const raw = await response.text().catch(() => '');
  const text = raw.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
  if (response.status === 400 && /duplicate/i.test(text)) {
    return new AppError('duplicate', 'A contact with this email address is already in Agile CRM.');
  }
  if (response.status === 406) return new AppError('limit', 'Your Agile CRM plan’s contact limit is reached, so the contact was not added.');
  if (response.status === 400) return new AppError('bad_input', text ? `Agile CRM refused this: ${text}` : 'Agile CRM refused this request.');
  if (response.status === 403) {
    // The relay refuses in OAuth's shape (RFC 6749 §5.2), with words for the rep; Agile CRM's own 403 is a page.
    const relay = relayRefusal(raw);
    return new AppError('rejected', relay ? `The relay refused this: ${relay}` : 'Your Agile CRM user is not allowed to do this.');
  }
  if (response.status === 404) return new AppError('not_found', call.notFound);
  if (response.status === 429) return new AppError('rate_limited', `Agile CRM is busy. Try again ${retryAfterMs === null ? 'in a minute' : inWords(retryAfterMs)}.`);
  if (response.status >= 500) return new AppError('server', `Agile CRM is having trouble (error ${response.status}). Try again in a moment.`);
  return new AppError('server', `Agile CRM answered with an unexpected status (${response.status}).`);
}

/**
 * @example
 * const agile = createAgileClient({ getAccessToken });
 * const found = await agile.findByEmails(['ada@example.com']); // Map { 'ada@example.com' => Contact }
 */
export function createAgileClient(options: AgileClientOptions) {
  const fetcher = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const batchSize = options.batchSize ?? 50;
  const timeoutMs = options.timeoutMs ?? 8_000;
  const retries = options.retries ?? 2;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 5_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function send(call: Call, grant: AccessGrant): Promise<Response> {
    const headers = new Headers({ Accept: 'application/json', Authorization: `Bearer ${grant.token}` });
    let body: BodyInit | undefined;
    if (call.body && 'form' in call.body) {
      headers.set('Content-Type', 'application/x-www-form-urlencoded');
      body = call.body.form;
    } else if (call.body) {
      headers.set('Content-Type', 'application/json');
      body = JSON.stringify(call.body.json);
    }
    try {
      return await fetcher(`${grant.apiBase}/${call.path}`, { method: call.method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new AppError('timeout', `Agile CRM did not answer within ${Math.round(timeoutMs / 1000)} seconds. Try again.`);
      }
      throw new AppError('unreachable', 'Agile CRM is not reachable. Check your connection.');
    }
  }

  /** Sends with retries and one refresh-on-401; resolves with the successful response. */
  async function exchange(call: Call): Promise<Response> {
    let grant = await options.getAccessToken();
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await send(call, grant);
      } catch (error) {
        // A connection that failed fast is worth another try; one that timed out has already cost the rep 8 s.
        const timedOut = error instanceof AppError && error.code === 'timeout';
        if (call.idempotent && !timedOut && attempt < retries) {
          await sleep(backoff(attempt));
          continue;
        }
        throw error;
      }
      if (response.status === 401 && !refreshed) {
        await response.body?.cancel();
        refreshed = true;
        grant = await options.getAccessToken(grant.token);
        attempt--;
        continue;
      }
      if (response.status === 401) {
        await response.body?.cancel();
        await options.sessionRejected?.();
        throw new AppError('signed_out', 'Agile CRM no longer accepts this sign-in. Sign in again.');
      }
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      const retryable = RETRYABLE.has(response.status) && (call.idempotent || response.status === 429);
      // A server that names a wait longer than the rep should sit through gets no early retry: it said no.
      if (retryable && attempt < retries && (retryAfter ?? 0) <= maxRetryAfterMs) {
        await response.body?.cancel();
        await sleep(retryAfter ?? backoff(attempt));
        continue;
      }
      if (response.status >= 200 && response.status < 300) return response;
      throw await failureFor(response, call, retryAfter);
    }
  }

  /** 204, an empty body and `null` are all "nothing there". */
  async function json(call: Call): Promise<unknown> {
    const response = await exchange(call);
    const text = await response.text();
    if (response.status === 204 || !text.trim()) return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new AppError('server', 'Agile CRM answered with something that is not JSON.');
    }
  }

  const contactOrNull = (value: unknown): Contact | null => {
    if (value === null || value === undefined) return null;
    try {
      return parseContact(value);
    } catch (error) {
      if (error instanceof ContactParseError) return null;
      throw error;
    }
  };

  const get = (path: string, notFound: string = NOT_FOUND.record): Call => ({ method: 'GET', path, idempotent: true, notFound });
  /** A single record asked for by id or address: a 404, like Agile's documented 204, means it is not there. */
  const record = async (path: string): Promise<Contact | null> => {
    try {
      return contactOrNull(await json(get(path)));
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') return null;
      throw error;
    }
  };
  /** Most splits of refused batches in one lookup: enough to set a few bad addresses apart, never a storm. */
  const MAX_SPLITS = 16;
  const contactPath = (id: string) => `contacts/${encodeURIComponent(id)}`;

  return {
    /**
     * Looks up many emails in ⌈n ÷ batchSize⌉ requests (counting an address with capitals twice: as written and in
     * lower case). Strings that are not addresses (shared/email.ts) are refused without asking. A batch refused with
     * 400 is split in halves, up to MAX_SPLITS times, to set the refused addresses apart; past that the 400 is thrown.
     */
    async findByEmails(emails: readonly string[]): Promise<EmailLookup> {
      const asked = [...new Set(emails.filter(isEmailAddress).flatMap((email) => (emailKey(email) === email ? [email] : [email, emailKey(email)])))];
      const refusedForms = new Set<string>();
      let splits = 0;
      const lookUp = async (chunk: string[]): Promise<unknown[]> => {
        try {
          const answer = await json({
            method: 'POST', path: 'contacts/search/email', idempotent: true, notFound: NOT_FOUND.lookup,
            body: { form: new URLSearchParams({ email_ids: JSON.stringify(chunk) }) },
          });
          return Array.isArray(answer) ? answer : [];
        } catch (error) {
          if (!(error instanceof AppError && error.code === 'bad_input')) throw error;
          if (chunk.length === 1) {
            refusedForms.add(chunk[0]!);
            return [];
          }
          if (++splits > MAX_SPLITS) throw error;
          const half = Math.ceil(chunk.length / 2);
          return [...await lookUp(chunk.slice(0, half)), ...await lookUp(chunk.slice(half))];
        }
      };
      const chunks: string[][] = [];
      for (let i = 0; i < asked.length; i += batchSize) chunks.push(asked.slice(i, i + batchSize));
      const answers = (await Promise.all(chunks.map(lookUp))).flat();
      const wanted = new Set(emails.map(emailKey));
      const found = new Map<string, Contact>();
      for (const item of answers) {
        const contact = contactOrNull(item);
        if (contact) for (const key of contactEmails(contact)) if (wanted.has(key)) found.set(key, contact);
      }
      const refused = emails.filter((email) => !isEmailAddress(email)
        || (refusedForms.has(email) && (emailKey(email) === email || refusedForms.has(emailKey(email)))));
      return { found, refused: [...new Set(refused)] };
    },

    async findByEmail(email: string): Promise<Contact | null> {
      return record(`contacts/search/email/${encodeURIComponent(email.trim())}`);
    },

    async getContact(id: string): Promise<Contact | null> {
      return record(contactPath(id));
    },

    /** Full-text search by name, company or email (all three parameters are required by Agile). */
    async search(query: string, pageSize = 20): Promise<Contact[]> {
      const params = new URLSearchParams({ q: query.trim(), page_size: String(pageSize), type: 'PERSON' });
      const answer = await json(get(`search?${params}`, NOT_FOUND.search));
      return (Array.isArray(answer) ? answer : []).map(contactOrNull).filter((contact): contact is Contact => contact !== null);
    },

    async notes(id: string): Promise<Note[]> {
      return parseNotes(await json(get(`${contactPath(id)}/notes`)));
    },
    async tasks(id: string): Promise<Task[]> {
      return parseTasks(await json(get(`${contactPath(id)}/tasks/sort`)));
    },
    async deals(id: string): Promise<Deal[]> {
      return parseDeals(await json(get(`${contactPath(id)}/deals`)));
    },

    async createContact(input: NewContact): Promise<Contact> {
      const created = contactOrNull(await json({
        method: 'POST', path: 'contacts', idempotent: false, notFound: NOT_FOUND.createContact,
        body: { json: { type: 'PERSON', tags: input.tags, properties: newContactProperties(input) } },
      }));
      if (!created) throw new AppError('server', 'Agile CRM did not return the new contact.');
      return created;
    },

    async addNote(id: string, subject: string, description: string): Promise<Note> {
      const [note] = parseNotes([await json({ method: 'POST', path: 'notes', idempotent: false, notFound: NOT_FOUND.addNote, body: { json: { subject, description, contact_ids: [id] } } })]);
      if (!note) throw new AppError('server', 'Agile CRM did not return the new note.');
      return note;
    },

    async addTask(id: string, task: NewTask): Promise<Task> {
      const [created] = parseTasks([await json({
        method: 'POST', path: 'tasks', idempotent: false, notFound: NOT_FOUND.addTask,
        body: { json: { subject: task.subject, type: task.type, priority_type: task.priority, due: task.due, contacts: [id] } },
      })]);
      if (!created) throw new AppError('server', 'Agile CRM did not return the new task.');
      return created;
    },

    /** Adds or removes tags; Agile answers with the updated contact. */
    async editTags(id: string, tags: string[], mode: 'add' | 'remove'): Promise<Contact> {
      const path = mode === 'add' ? 'contacts/edit/tags' : 'contacts/delete/tags';
      const contact = contactOrNull(await json({ method: 'PUT', path, idempotent: true, notFound: NOT_FOUND.editTags, body: { json: { id, tags } } }));
      if (!contact) throw new AppError('not_found', NOT_FOUND.editTags);
      return contact;
    },
  };
}

/** 300 ms, 600 ms, 1.2 s… with jitter, so many clients do not retry in step. */
function backoff(attempt: number): number {
  return Math.round(300 * 2 ** attempt * (0.75 + Math.random() * 0.5));
}

export type AgileClient = ReturnType<typeof createAgileClient>;
