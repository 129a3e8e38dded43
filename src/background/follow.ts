/**
 * Following the rep on the mail sites they chose (`optional_host_permissions`, granted one site at a time from a
 * click): when a tab on such a site shows another conversation — a tab switch, a navigation, or Gmail / Outlook
 * changing the URL's fragment or path — its people are read once, the toolbar badge says how many are in Agile CRM,
 * and the side panel asks for them (`scanFollowed`), sharing that one read.
 *
 * The same conversation is not read twice in a row: the last key per tab (mail-sites.ts's `conversationKey`) is kept
 * in `storage.session`, so a restarted worker does not read it again either. Sites without that grant are never
 * read here: their URL is not even visible to the extension (it has no `tabs` permission).
 */
import * as v from 'valibot';
import { conversationKey, mailSiteOf } from '../scanner/mail-sites';
import type { PageScan } from './lookup';

const PREFIX = 'follow:';
/** The conversation last read in a tab, when, and how many of its people are in Agile CRM (its badge). */
const Stored = v.object({ key: v.string(), at: v.number(), found: v.optional(v.number()) });

/** How long a read of a conversation stands for it: past this, coming back to it reads it again. */
export const FOLLOW_FRESH_MS = 5 * 60_000;
/** A conversation still rendering (its URL came first) is read again this often, this many times. */
export const AWAIT_RENDER_MS = 150;
export const AWAIT_RENDER_TRIES = 20;

export interface FollowDeps {
  /** Reads the tab (background/lookup.ts's `scanTab`). */
  scan(tabId: number): Promise<PageScan>;
  /** Shows the count of the tab's people in Agile CRM; null clears it. */
  badge(tabId: number, found: number | null): Promise<void>;
  /** How many of these people are in Agile CRM, from the cache then from Agile (null: not signed in). */
  count(scan: PageScan, onCount: (found: number) => void): Promise<void>;
  area(): { get(keys: string | null): Promise<Record<string, unknown>>; set(items: Record<string, unknown>): Promise<void>; remove(keys: string | string[]): Promise<void> };
  /** The origins (match patterns) the extension holds now. */
  grantedOrigins(): Promise<string[]>;
  now?(): number;
}

/** The followable origin of a URL when the rep granted it, else null. */
export function followedOrigin(url: string | undefined, granted: readonly string[]): string | null {
  const site = mailSiteOf(url);
  return site && granted.includes(site.origin) ? site.origin : null;
}

/**
 * @example const follow = createFollow({ scan: scanTab, badge, count, area: () => chrome.storage.session, grantedOrigins });
 * chrome.tabs.onUpdated.addListener((tabId, change, tab) => void follow.tabChanged(tabId, tab.url));
 */
export function createFollow(deps: FollowDeps) {
  const now = () => deps.now?.() ?? Date.now();
  /** The read in flight or last done per tab, by conversation key: callers of the same conversation share it. */
  const reads = new Map<number, { key: string; scan: Promise<PageScan> }>();

  async function stored(tabId: number): Promise<v.InferOutput<typeof Stored> | null> {
    const parsed = v.safeParse(Stored, (await deps.area().get(`${PREFIX}${tabId}`))[`${PREFIX}${tabId}`]);
    return parsed.success ? parsed.output : null;
  }

  /** Writes to a tab's record one after another: the read's time and the badge's count each keep the other. */
  let writing = Promise.resolve();
  function remember(tabId: number, key: string, change: { at?: number; found?: number }): Promise<void> {
    writing = writing.then(async () => {
      const before = await stored(tabId);
      const base = before?.key === key ? before : { key, at: now() };
      await deps.area().set({ [`${PREFIX}${tabId}`]: { ...base, ...change } });
    }).catch(() => undefined);
    return writing;
  }

  /**
   * The people of the conversation the tab shows, read at most once per conversation in a row; null when the tab is
   * not on a followed site or shows no conversation. `again` reads it even if it was just read (the rep's Refresh).
   */
  async function scanFollowed(tabId: number, url: string | undefined, again = false): Promise<PageScan | null> {
    const key = followedOrigin(url, await deps.grantedOrigins()) ? conversationKey(url) : null;
    if (!key) return null;
    const current = reads.get(tabId);
    if (current?.key === key && !again) return current.scan;
    const scan = (async () => {
      let read = await deps.scan(tabId);
      for (let tries = 0; read.awaiting && tries < AWAIT_RENDER_TRIES; tries++) {
        await new Promise((resolve) => setTimeout(resolve, AWAIT_RENDER_MS));
        read = await deps.scan(tabId);
      }
      return read;
    })();
    reads.set(tabId, { key, scan });
    // Remembered once read (a failed read is not: the next event tries again); the caller hears of a failure.
    scan.then(
      () => remember(tabId, key, { at: now() }),
      () => void (reads.get(tabId)?.scan === scan && reads.delete(tabId)),
    ).catch(() => undefined);
    return scan;
  }

  /** A tab was activated or changed URL: read its conversation if it is a new one, and badge it. */
  async function tabChanged(tabId: number, url: string | undefined): Promise<void> {
    const origin = followedOrigin(url, await deps.grantedOrigins());
    const key = origin ? conversationKey(url) : null;
    if (!key) {
      reads.delete(tabId);
      await deps.badge(tabId, null);
      return;
    }
    const last = await stored(tabId);
    const fresh = last?.key === key && now() - last.at < FOLLOW_FRESH_MS;
    if (reads.get(tabId)?.key === key || (!reads.has(tabId) && fresh)) {
      // Not read again; but a reload of it cleared the tab's badge (Chrome resets a tab's action with each document).
      if (last?.key === key && last.found !== undefined) await deps.badge(tabId, last.found);
      return;
    }
    try {
      const scan = await scanFollowed(tabId, url);
      if (scan) {
        await deps.count(scan, (found) => {
          void deps.badge(tabId, found);
          void remember(tabId, key, { found });
        });
        await writing;
      }
    } catch {
      await deps.badge(tabId, null);
    }
  }

  return {
    scanFollowed,
    tabChanged,
    async tabClosed(tabId: number): Promise<void> {
      reads.delete(tabId);
      await deps.area().remove(`${PREFIX}${tabId}`);
    },
    /** A site was granted or revoked: what is followed starts from nothing, and no badge stays behind. */
    async forget(): Promise<void> {
      reads.clear();
      await writing;
      const names = Object.keys(await deps.area().get(null)).filter((name) => name.startsWith(PREFIX));
      await Promise.all(names.map((name) => deps.badge(Number(name.slice(PREFIX.length)), null)));
      await deps.area().remove(names);
    },
  };
}
