import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { SessionView } from '../../shared/messages';
import { send } from '../send';
import { Notice } from './Notice';

/** Signed out: one button. The sign-in window belongs to the background worker, so closing this popup is fine. */
export function SignInPanel({ notice, onSignedIn }: { notice: ErrorInfo | null; onSignedIn(session: SessionView): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(notice);
  useEffect(() => setError(notice), [notice]);
  const signIn = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await send({ type: 'signIn' }));
    } catch (failure) {
      setError(toErrorInfo(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1 class="title">Agile CRM</h1>
      <p>See who the people on this page are in Agile CRM: their company, deals, tasks and notes.</p>
      <button type="button" class="btn btn-primary btn-wide" onClick={signIn} aria-disabled={busy} autofocus>
        {busy ? 'Complete sign-in in the window that opened…' : 'Sign in to Agile CRM'}
      </button>
      <Notice error={error} />
      <p class="muted small">
        <a href="#" onClick={(event) => { event.preventDefault(); void browser.runtime.openOptionsPage(); }}>Settings</a>
      </p>
    </main>
  );
}
