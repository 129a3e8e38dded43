import { useCallback, useEffect, useState } from 'preact/hooks';
import { AppError, toErrorInfo, type ErrorInfo } from '../shared/errors';
import type { PopupStart } from '../shared/messages';
import { Notice } from './components/Notice';
import { PageView } from './components/PageView';
import { SignInPanel } from './components/SignInPanel';
import { send } from './send';
import { activeTabId } from './use-page-lookup';

/**
 * The worker answers within its scan deadline (about 2 s); far past that it is stuck, and the rep gets words and
 * "Try again" rather than "Loading…" for ever.
 */
const START_TIMEOUT_MS = 10_000;

const requestStart = async (): Promise<PopupStart> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('timeout', 'The extension did not answer in time. Try again.')), START_TIMEOUT_MS);
  });
  try {
    return await Promise.race([send({ type: 'openPopup', tabId: await activeTabId() }), late]);
  } finally {
    clearTimeout(timer);
  }
};

/** Asked as the page loads, before the first render: the worker's answer overlaps Preact's start-up. */
const firstStart = requestStart();

/** Signed out → the sign-in panel; signed in → the page's contacts. */
export function App() {
  const [start, setStart] = useState<PopupStart | null>(null);
  const [notice, setNotice] = useState<ErrorInfo | null>(null);

  const open = useCallback(async (starting: Promise<PopupStart>) => {
    try {
      setStart(await starting);
    } catch (failure) {
      setNotice(toErrorInfo(failure));
    }
  }, []);
  useEffect(() => {
    void open(firstStart);
  }, [open]);

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
  const reload = () => {
    setStart(null);
    void open(requestStart());
  };
  return <PageView session={start.session} start={start.page} onSignedOut={signedOut} onReload={reload} />;
}
