/** Following a mail site: one read per conversation in a row, shared by the badge and the panel; nothing unfollowed. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFollow, FOLLOW_FRESH_MS } from '../../src/background/follow';
import type { PageScan } from '../../src/background/lookup';
import { parseDraft } from '../../src/popup/drafts-parse';

const GMAIL = 'https://mail.google.com/*';
const thread = (id: string) => `https://mail.google.com/mail/u/0/#inbox/${id}`;
const A = 'FMfcgzQXJWDsKmsNbCDRVzfnmBztGrbX';
const B = 'FMfcgzQXKbWqLmRtVcJhPnXsZdFgHkTp';

function world(granted = [GMAIL], read: () => Partial<PageScan> = () => ({})) {
  const stored: Record<string, unknown> = {};
  const badges: [number, number | null][] = [];
  let scans = 0;
  let now = 1_000_000;
  const deps = {
    scan: async (): Promise<PageScan> => {
      scans++;
      return { title: 't', emails: [{ email: 'ada@example.com', name: '' }], more: 0, thread: true, account: null, awaiting: false, ...read() };
    },
    badge: async (tabId: number, found: number | null) => void badges.push([tabId, found]),
    count: async (_scan: PageScan, onCount: (found: number) => void) => onCount(1),
    area: () => ({
      get: async (key: string | null) => (key === null ? { ...stored } : key in stored ? { [key]: stored[key] } : {}),
      set: async (items: Record<string, unknown>) => void Object.assign(stored, items),
      remove: async (keys: string | string[]) => void [keys].flat().forEach((key) => delete stored[key]),
    }),
    grantedOrigins: async () => granted,
    now: () => now,
  };
  return { follow: createFollow(deps), deps, badges, stored, scans: () => scans, tick: (ms: number) => (now += ms) };
}

describe('follow', () => {
  it('reads each conversation once in a row: a status event, the panel asking, a label change of the same thread', async () => {
    const w = world();
    await w.follow.tabChanged(1, thread(A));
    await w.follow.tabChanged(1, `https://mail.google.com/mail/u/0/#label/Clients/${A}?compose=new`);
    await w.follow.scanFollowed(1, thread(A));
    expect(w.scans()).toBe(1);
    // Said again for each event (a reload clears it), never anything else.
    expect(new Set(w.badges.map(String))).toEqual(new Set(['1,1']));
    await w.follow.tabChanged(1, thread(B));
    await w.follow.tabChanged(1, thread(A));
    expect(w.scans()).toBe(3);
  });

  it('shares one read in flight between the badge and the panel', async () => {
    const w = world();
    await Promise.all([w.follow.tabChanged(1, thread(A)), w.follow.scanFollowed(1, thread(A)), w.follow.scanFollowed(1, thread(A))]);
    expect(w.scans()).toBe(1);
  });

  it('after a worker restart, the same conversation is not read again while fresh; later it is', async () => {
    const w = world();
    await w.follow.tabChanged(1, thread(A));
    const restarted = createFollow({ ...w.deps });
    await restarted.tabChanged(1, thread(A));
    expect(w.scans()).toBe(1);
    w.tick(FOLLOW_FRESH_MS);
    await restarted.tabChanged(1, thread(A));
    expect(w.scans()).toBe(2);
  });

  it('the same conversation loaded again (a reload clears the tab’s badge): badged again, not read again, after a worker restart too', async () => {
    const w = world();
    await w.follow.tabChanged(1, thread(A));
    w.badges.length = 0;
    await w.follow.tabChanged(1, thread(A));
    expect(w.badges).toEqual([[1, 1]]);
    const restarted = createFollow({ ...w.deps });
    w.badges.length = 0;
    await restarted.tabChanged(1, thread(A));
    expect(w.badges).toEqual([[1, 1]]);
    expect(w.scans()).toBe(1);
  });

  it('the rep’s Refresh reads it again', async () => {
    const w = world();
    await w.follow.scanFollowed(1, thread(A));
    await w.follow.scanFollowed(1, thread(A), true);
    expect(w.scans()).toBe(2);
  });

  it('never reads a site the rep did not grant, a list view, or another site; clears the badge there', async () => {
    const w = world([]);
    expect(await w.follow.scanFollowed(1, thread(A))).toBeNull();
    await w.follow.tabChanged(1, thread(A));
    const granted = world();
    await granted.follow.tabChanged(2, 'https://mail.google.com/mail/u/0/#inbox');
    await granted.follow.tabChanged(2, 'https://example.com/#inbox/' + A);
    await granted.follow.tabChanged(2, undefined);
    expect(w.scans() + granted.scans()).toBe(0);
    expect(w.badges).toEqual([[1, null]]);
  });

  it('a conversation still rendering is read again until it is there', async () => {
    let calls = 0;
    const w = world([GMAIL], () => ({ awaiting: ++calls < 3 }));
    const scan = await w.follow.scanFollowed(1, thread(A));
    expect(scan?.awaiting).toBe(false);
    expect(w.scans()).toBe(3);
  });

  it('a revoked site: every badge it left is cleared and its reads forgotten', async () => {
    const w = world();
    await w.follow.tabChanged(1, thread(A));
    await w.follow.tabChanged(2, thread(B));
    await w.follow.forget();
    expect(w.badges.slice(-2).sort()).toEqual([[1, null], [2, null]]);
    expect(Object.keys(w.stored)).toEqual([]);
  });
});

describe('drafts read back from storage', () => {
  it('keeps well-formed drafts, drops anything else', () => {
    expect(parseDraft({ fields: { subject: 'Call', description: '' }, error: null })).toEqual({ fields: { subject: 'Call', description: '' }, error: null });
    expect(parseDraft({ fields: { subject: 'Call' }, error: 'Agile CRM is down.' })?.error).toBe('Agile CRM is down.');
    for (const bad of [null, 'x', [], { fields: [] }, { fields: { a: 1 }, error: null }, { fields: {}, error: 5 }, { fields: { a: 'x'.repeat(20_001) }, error: null }]) {
      expect(parseDraft(bad)).toBeNull();
    }
    fc.assert(fc.property(fc.anything(), (value) => {
      const draft = parseDraft(value);
      if (draft) expect(Object.values(draft.fields).every((text) => typeof text === 'string')).toBe(true);
    }));
  });
});
