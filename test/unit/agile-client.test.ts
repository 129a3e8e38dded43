/**
 * The Agile CRM client against the sandbox's REST API on loopback: every documented quirk, and the failures a
 * rep must see in words.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAgileClient, parseRetryAfter, type AgileClientOptions } from '../../src/background/agile-client';
import { Hono } from 'hono';
import { allowedOrigin } from '../../src/relay/middleware/allowed-origin';
import { startSandbox, type SandboxServer } from '../../src/sandbox/node';
import { AppError } from '../../src/shared/errors';

let sandbox: SandboxServer;
let token: string;
let refreshes: number;

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  token = mint();
  refreshes = 0;
});

function mint(): string {
  const grant = sandbox.state.createGrant(null, 'test', sandbox.state.users[0]!.email, '');
  return sandbox.state.issueTokens(grant).access_token;
}

function client(options: Partial<AgileClientOptions> = {}) {
  const requests: { method: string; url: string; accept: string | null; auth: string | null }[] = [];
  const agile = createAgileClient({
    getAccessToken: async (failed) => {
      if (failed) {
        refreshes++;
        token = mint();
      }
      return { token, apiBase: `${sandbox.url}/dev/api` };
    },
    sleep: async () => undefined,
    ...options,
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      requests.push({ method: init?.method ?? 'GET', url: String(input), accept: headers.get('accept'), auth: headers.get('authorization') });
      return (options.fetch ?? fetch)(input, init);
    },
  });
  return { agile, requests };
}

const known = () => sandbox.state.seed.demoKnownEmails;

describe('lookups', () => {
  it('always asks for JSON and sends the bearer token', async () => {
    const { agile, requests } = client();
    await agile.findByEmail(known()[0]!);
    expect(requests[0]).toMatchObject({ accept: 'application/json', auth: `Bearer ${token}` });
  });

  it('204 with an empty body is "not found", not an error', async () => {
    expect(await client().agile.findByEmail('nobody@nowhere.example')).toBeNull();
    expect(await client().agile.getContact('1234567890123456')).toBeNull();
  });

  it('encodes + in a path email as %2B', async () => {
    const { agile, requests } = client();
    const contact = await agile.findByEmail(known()[4]!);
    expect(contact?.emails[0]?.value).toBe(known()[4]);
    expect(requests[0]!.url).toContain('%2B');
  });

  it('batches: ⌈n ÷ batch size⌉ requests, misses matched by email not position', async () => {
    const { agile, requests } = client({ batchSize: 2 });
    const emails = [...known(), 'nobody@nowhere.example', 'known-later@nowhere.example'];
    const { found, refused } = await agile.findByEmails(emails);
    expect(requests).toHaveLength(Math.ceil(emails.length / 2));
    expect([...found.keys()].sort()).toEqual([...known()].sort());
    expect(found.get(known()[1]!)?.id).toMatch(/^\d{16}$/);
    expect(refused).toEqual([]);
  });

  it('asks for an address as written and in lower case; answers match by key', async () => {
    const asked: string[][] = [];
    const { agile } = client({
      fetch: async (input, init) => {
        asked.push(JSON.parse(new URLSearchParams(String(init?.body)).get('email_ids') ?? '[]'));
        return fetch(input, init);
      },
    });
    const written = known()[0]!.replace(/^./, (first) => first.toUpperCase());
    const { found } = await agile.findByEmails([written, known()[1]!]);
    expect(asked).toEqual([[written, known()[0], known()[1]]]);
    expect([...found.keys()].sort()).toEqual([known()[0], known()[1]].sort());
  });

  it('a page of 50 emails is one request', async () => {
    const { agile, requests } = client();
    const emails = Array.from({ length: 50 }, (_, i) => `person${i}@nowhere.example`);
    expect((await agile.findByEmails(emails)).found.size).toBe(0);
    expect(requests).toHaveLength(1);
  });

  it('one address Agile refuses (400) is set apart; the others are still looked up', async () => {
    // Agile's own validator is stricter than RFC 5321 (an apostrophe, a Unicode local part): it refuses the batch.
    const strict = (emails: string[]) => emails.some((email) => !/^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$/.test(email));
    const { agile, requests } = client({
      fetch: async (input, init) => {
        const ids = new URLSearchParams(String(init?.body)).get('email_ids');
        if (ids && strict(JSON.parse(ids))) return new Response('Invalid email address in email_ids.', { status: 400 });
        return fetch(input, init);
      },
    });
    const emails = [...known(), "sean.o'connor@example.com", 'josé@correo.example', 'not an address', ...Array.from({ length: 40 }, (_, i) => `p${i}@nowhere.example`)];
    const { found, refused } = await agile.findByEmails(emails);
    expect(refused.sort()).toEqual(["sean.o'connor@example.com", 'josé@correo.example', 'not an address'].sort());
    expect([...found.keys()].sort()).toEqual([...known()].sort());
    expect(requests.length).toBeGreaterThan(2);
    expect(requests.length).toBeLessThanOrEqual(1 + 2 * 16);
  });

  it('a batch refused past the split budget fails in words, without a request storm', async () => {
    const { agile, requests } = client({ fetch: async () => new Response('Invalid email address in email_ids.', { status: 400 }) });
    const emails = Array.from({ length: 50 }, (_, i) => `p${i}@nowhere.example`);
    await expect(agile.findByEmails(emails)).rejects.toMatchObject({ code: 'bad_input' });
    expect(requests.length).toBeLessThanOrEqual(1 + 2 * 17);
  });

  it('search, notes, tasks and deals parse into typed records', async () => {
    const { agile } = client();
    const hits = await agile.search('helix');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((hit) => hit.company === 'Helix Biolabs' || hit.emails.some((email) => email.value.includes('helix')))).toBe(true);
    const withNotes = sandbox.state.seed.notes[0]!.contact_ids[0]!;
    const notes = await agile.notes(withNotes);
    expect(notes[0]).toMatchObject({ id: expect.stringMatching(/^\d+$/), subject: expect.any(String) });
    const withTasks = sandbox.state.seed.tasks[0]!.contacts[0]!;
    expect((await agile.tasks(withTasks))[0]).toMatchObject({ priority: expect.stringMatching(/HIGH|NORMAL|LOW/) });
    const withDeals = sandbox.state.seed.deals[0]!.contact_ids[0]!;
    expect((await agile.deals(withDeals))[0]).toMatchObject({ value: expect.any(Number), milestone: expect.any(String) });
  });
});

describe('writes', () => {
  it('creates a contact, then the same email again is a "duplicate" in words', async () => {
    const { agile } = client();
    const input = { firstName: 'Quinn', lastName: 'Ortiz', email: 'quinn.ortiz@newco.example', company: 'NewCo', title: 'COO', phone: '+1 555 0101', tags: ['lead'] };
    const created = await agile.createContact(input);
    expect(created).toMatchObject({ name: 'Quinn Ortiz', company: 'NewCo', tags: ['lead'] });
    const again = await agile.createContact(input).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(AppError);
    expect(again).toMatchObject({ code: 'duplicate', message: 'A contact with this email address is already in Agile CRM.' });
  });

  it('adds notes, tasks and tags', async () => {
    const { agile } = client();
    const id = String(sandbox.state.seed.contacts[30]!.id);
    expect(await agile.addNote(id, 'Call', 'Went well')).toMatchObject({ subject: 'Call', description: 'Went well' });
    expect(await agile.addTask(id, { subject: 'Send deck', type: 'EMAIL', priority: 'HIGH', due: 1_900_000_000 })).toMatchObject({ subject: 'Send deck', complete: false });
    expect((await agile.editTags(id, ['vip'], 'add')).tags).toContain('vip');
    expect((await agile.editTags(id, ['vip'], 'remove')).tags).not.toContain('vip');
  });
});

describe('a 404 in the words of the action that met it', () => {
  const gone = () => client({ fetch: async () => new Response('Not Found', { status: 404 }) }).agile;
  const id = '5629585249009664';

  it.each([
    ['add note', () => gone().addNote(id, 'Call', ''), 'This contact is no longer in Agile CRM, so the note was not added.'],
    ['add task', () => gone().addTask(id, { subject: 'Call', type: 'CALL', priority: 'HIGH', due: 1 }), 'This contact is no longer in Agile CRM, so the task was not added.'],
    ['add tag', () => gone().editTags(id, ['vip'], 'add'), 'This contact is no longer in Agile CRM, so its tags were not changed.'],
    ['remove tag', () => gone().editTags(id, ['vip'], 'remove'), 'This contact is no longer in Agile CRM, so its tags were not changed.'],
    ['notes', () => gone().notes(id), 'This contact is no longer in Agile CRM.'],
    ['add contact', () => gone().createContact({ firstName: 'A', lastName: '', email: 'a@example.com', company: '', title: '', phone: '', tags: [] }),
      'Agile CRM answered “not found”, so the contact was not added. Check the Agile CRM domain in Settings.'],
    ['search', () => gone().search('ada'), 'Agile CRM answered “not found” to the search. Check the Agile CRM domain in Settings.'],
    ['lookup', () => gone().findByEmails(['a@example.com']), 'Agile CRM answered “not found” to the address lookup. Check the Agile CRM domain in Settings.'],
  ])('%s', async (_, action, message) => {
    await expect(action()).rejects.toMatchObject({ code: 'not_found', message });
  });

  it('a single record asked for and not there is null, as Agile’s 204 is', async () => {
    expect(await gone().getContact(id)).toBeNull();
    expect(await gone().findByEmail('a@example.com')).toBeNull();
  });
});

describe('authorization', () => {
  it('a 401 refreshes once and retries', async () => {
    const { agile } = client();
    sandbox.state.expireAccessTokens();
    expect(await agile.findByEmail(known()[0]!)).not.toBeNull();
    expect(refreshes).toBe(1);
  });

  it('a second 401 after refreshing means the sign-in is gone', async () => {
    const agile = createAgileClient({ getAccessToken: async () => ({ token: 'never-valid', apiBase: `${sandbox.url}/dev/api` }) });
    await expect(agile.findByEmail(known()[0]!)).rejects.toMatchObject({ code: 'signed_out' });
  });

  it('a 403 from the relay (an origin it does not serve) is said in the relay’s words; Agile CRM’s own 403 is about the user', async () => {
    const relay = new Hono().use('*', allowedOrigin(['chrome-extension://abcdefghijklmnopabcdefghijklmnop'])).all('*', (c) => c.json({}));
    const viaRelay = createAgileClient({
      getAccessToken: async () => ({ token, apiBase: 'https://relay.example/agile' }),
      fetch: async (input, init) => relay.request(String(input), { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), Origin: 'chrome-extension://otherotherotherotherotherotherot' } }),
    });
    await expect(viaRelay.search('ada')).rejects.toMatchObject({
      code: 'rejected', message: expect.stringMatching(/^The relay refused this: This relay does not serve chrome-extension:\/\/other.*RELAY_ALLOWED_ORIGINS/),
    });
    const agile = client({ fetch: async () => new Response('<html><body><h1>403 Forbidden</h1></body></html>', { status: 403 }) }).agile;
    await expect(agile.search('ada')).rejects.toMatchObject({ code: 'rejected', message: 'Your Agile CRM user is not allowed to do this.' });
  });

  it('an unreachable Agile CRM is said in words', async () => {
    const agile = createAgileClient({ getAccessToken: async () => ({ token, apiBase: 'http://127.0.0.1:9/dev/api' }), sleep: async () => undefined });
    await expect(agile.findByEmail('a@b.example')).rejects.toMatchObject({ code: 'unreachable', message: 'Agile CRM is not reachable. Check your connection.' });
  });
});

describe('Retry-After', () => {
  it('waits as long as Agile CRM says when that is short, and sends exactly one request when it is long', async () => {
    const waits: number[] = [];
    const { agile, requests } = client({ sleep: async (ms) => void waits.push(ms) });
    sandbox.state.faults.queue.push({ scope: 'api', kind: 'status', status: 429, retryAfter: '2', times: 1 });
    expect(await agile.findByEmail(known()[0]!)).not.toBeNull();
    expect(waits).toEqual([2_000]);
    expect(requests).toHaveLength(2);

    const long = client({ sleep: async (ms) => void waits.push(ms) });
    sandbox.state.faults.queue.push({ scope: 'api', kind: 'status', status: 429, retryAfter: '120', times: 3 });
    await expect(long.agile.findByEmail(known()[0]!)).rejects.toMatchObject({ code: 'rate_limited', message: 'Agile CRM is busy. Try again in 2 minutes.' });
    expect(long.requests).toHaveLength(1);
    sandbox.state.faults.queue.length = 0;
  });

  it('reads delay-seconds and HTTP-dates (RFC 9110 §10.2.3), and nothing else', () => {
    const now = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:50:37 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:47 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).not.toBeNull();
    expect(parseRetryAfter('Sat, 05 Nov 1994 08:49:37 GMT', now)).toBe(0);
    for (const junk of [null, '', '-5', '1.5', '0x10', '1e3', 'Infinity', 'soon', '1 day', 'Tomorrow']) expect(parseRetryAfter(junk, now)).toBeNull();
  });

  it('property: any header value is null or a wait of zero or more milliseconds; digits are seconds', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.nat().map(String), fc.date({ noInvalidDate: true }).map((date) => date.toUTCString())), (value) => {
      const wait = parseRetryAfter(value, 0);
      if (wait !== null) expect(wait).toBeGreaterThanOrEqual(0);
      if (/^\d+$/.test(value.trim())) expect(wait).toBe(Number(value.trim()) * 1000);
    }), { numRuns: 2_000 });
  });
});
