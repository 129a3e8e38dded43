import { useCallback, useEffect, useState } from 'preact/hooks';
import { toErrorInfo, type ErrorInfo } from '../shared/errors';
import { send, type SessionView } from '../shared/messages';
import { Notice } from './components/Notice';
import { PageView } from './components/PageView';
import { SignInPanel } from './components/SignInPanel';

/** Signed out → the sign-in panel; signed in → the page's contacts. */
export function App() {
  const [session, setSession] = useState<SessionView | null>(null);
  const [notice, setNotice] = useState<ErrorInfo | null>(null);

  useEffect(() => {
    send({ type: 'getSession' }).then(setSession, (failure) => setNotice(toErrorInfo(failure)));
  }, []);

  const signedOut = useCallback((reason: ErrorInfo | null) => {
    setNotice(reason);
    setSession((previous) => (previous ? { ...previous, signedIn: false, user: null } : previous));
  }, []);

  if (!session) return notice ? <Notice error={notice} /> : <p class="muted pad" role="status">Loading…</p>;
  if (!session.signedIn) return <SignInPanel notice={notice} onSignedIn={(next) => { setNotice(null); setSession(next); }} />;
  return <PageView session={session} onSignedOut={signedOut} />;
}
