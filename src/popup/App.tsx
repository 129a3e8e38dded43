import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { AppError, toErrorInfo, type ErrorInfo } from '../shared/errors';
import type { PopupStart } from '../shared/messages';
import { Notice } from './components/Notice';
import { PageView } from './components/PageView';
import { SignInPanel } from './components/SignInPanel';
import { loadDrafts } from './drafts';
import { send } from './send';
import { activeTabId, IN_PANEL, useFollowedTab } from './use-followed-tab';

/**
 * The worker answers within its scan deadline (about 2 s); far past that it is stuck, and the rep gets words and
 * "Try again" rather than "Loading…" for ever.
 */
const START_TIMEOUT_MS = 10_000;

/** The popup reads the page it was opened on; the side panel the tab it shows, read only when followed or `read`. */
const requestStart = async (tabId?: number | null, read = true): Promise<PopupStart> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('timeout', 'The extension did not answer in time. Try again.')), START_TIMEOUT_MS);
  });
  try {
    const tab = tabId === undefined ? await activeTabId() : tabId;
    const asked = IN_PANEL ? send({ type: 'openPanel', tabId: tab, read }) : send({ type: 'openPopup', tabId: tab });
    const [start] = await Promise.all([asked, loadDrafts]);
    return await Promise.race([Promise.resolve(start), late]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Asked as the page loads, before the first render: the worker's answer overlaps Preact's start-up. Both frames open
 * from the rep's gesture on the page (the toolbar button, "Keep open", the shortcut, the menu), so both read it.
 */
const firstStart = requestStart();

/** Signed out → the sign-in panel; signed in → the page's contacts. In the side panel, they follow the tab. */
export function App() {
  const [start, setStart] = useState<PopupStart | null>(null);
  const [notice, setNotice] = useState<ErrorInfo | null>(null);
  // Only the latest answer is shown: the rep may switch tabs faster than pages are read.
  const asked = useRef(0);

  /** `following`: an automatic update (a tab event), which leaves the same conversation as it is. */
  const open = useCallback(async (starting: Promise<PopupStart>, following = false) => {
    const seq = ++asked.current;
    try {
      const started = await starting;
      if (seq !== asked.current) return;
      // The same followed conversation again (a label view of it, a completed load): nothing new to show or ask.
      setStart((previous) => {
        const [before, after] = [previous?.page, started.page];
        return following && before?.key && after?.key === before.key && after.tabId === before.tabId && !after.error ? previous : started;
      });
    } catch (failure) {
      if (seq === asked.current) setNotice(toErrorInfo(failure));
    }
  }, []);
  useEffect(() => {
    void open(firstStart);
  }, [open]);
  useFollowedTab((tabId) => void open(requestStart(tabId, false), true));

  const signedOut = useCallback((reason: ErrorInfo | null) => {
    setNotice(reason);
    setStart((previous) => (previous ? { session: { ...previous.session, signedIn: false, user: null }, page: null } : previous));
  }, []);

  if (!start) {
    if (!notice) return <p class="muted pad" role="status">Loading…</p>;
    return (
      <main class="pad">
        <Notice error={notice} />
        <button type="button" class="btn" onClick={() => { setNotice(null); void open(requestStart()); }}>Try again</button>
      </main>
    );
  }
  if (!start.session.signedIn || !start.page) {
    return <SignInPanel notice={notice} onSignedIn={() => { setNotice(null); void open(requestStart()); }} />;
  }
  // Read again at the rep's click: "Try again", "Look up this page", a site just followed.
  const reload = () => void open(requestStart(start.page?.tabId, true));
  return <PageView session={start.session} start={start.page} onSignedOut={signedOut} onReload={reload} />;
}
