/**
 * The Agile CRM client against the sandbox's REST API on loopback: every documented quirk, and the failures a
 * rep must see in words.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAgileClient, parseRetryAfter, type AgileClientOptions } from '../../src/background/agile-client';
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
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      requests.push({ method: init?.method ?? 'GET', url: String(input), accept: headers.get('accept'), auth: headers.get('authorization') });
      return fetch(input, init);
    },
    sleep: async () => undefined,
    ...options,
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
    const emails = [...known(), 'nobody@nowhere.example', 'KNOWN-LATER@nowhere.example'];
    const found = await agile.findByEmails(emails.map((email) => email.toUpperCase()));
    expect(requests).toHaveLength(Math.ceil(emails.length / 2));
    expect([...found.keys()].sort()).toEqual([...known()].sort());
    expect(found.get(known()[1]!)?.id).toMatch(/^\d{16}$/);
  });

  it('a page of 50 emails is one request', async () => {
    const { agile, requests } = client();
    const emails = Array.from({ length: 50 }, (_, i) => `person${i}@nowhere.example`);
    expect((await agile.findByEmails(emails)).size).toBe(0);
    expect(requests).toHaveLength(1);
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
