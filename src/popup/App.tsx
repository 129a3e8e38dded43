import { useCallback, useEffect, useState } from 'preact/hooks';
import { toErrorInfo, type ErrorInfo } from '../shared/errors';
import type { PopupStart } from '../shared/messages';
import { Notice } from './components/Notice';
import { PageView } from './components/PageView';
import { SignInPanel } from './components/SignInPanel';
import { send } from './send';
import { activeTabId } from './use-page-lookup';

const requestStart = async (): Promise<PopupStart> => send({ type: 'openPopup', tabId: await activeTabId() });

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
  return <PageView session={start.session} start={start.page} onSignedOut={signedOut} />;
}
