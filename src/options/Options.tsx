import { useEffect, useState } from 'preact/hooks';
import { toErrorInfo, type ErrorInfo } from '../shared/errors';
import type { SessionView } from '../shared/messages';
import type { Settings } from '../shared/settings';
import { Notice } from '../popup/components/Notice';
import { send } from '../popup/send';
import { FollowedSites } from './FollowedSites';

type Message = { kind: 'ok'; text: string } | { kind: 'error'; error: ErrorInfo };

/** One labelled input, with its error right under it. */
function Field({ id, label, hint, value, error, required = false, placeholder, onInput }: {
  id: keyof Settings; label: string; hint: string; value: string; error: ErrorInfo | null; required?: boolean; placeholder?: string; onInput(value: string): void;
}) {
  const invalid = error?.field === id;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} value={value} required={required} placeholder={placeholder} aria-invalid={invalid}
        aria-describedby={`${id}-hint${invalid ? ` ${id}-error` : ''}`} onInput={(event) => onInput(event.currentTarget.value)} />
      {invalid && <p id={`${id}-error`} class="notice notice-error" role="alert">{error.message}</p>}
      <p id={`${id}-hint`} class="hint">{hint}</p>
    </div>
  );
}

/** Settings: the Agile CRM account and the relay; the sign-in status with sign-out; clearing the cache. */
export function Options() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [session, setSession] = useState<SessionView | null>(null);
  const [message, setMessage] = useState<Message | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    send({ type: 'getSettings' }).then(setSettings, (failure) => setMessage({ kind: 'error', error: toErrorInfo(failure) }));
    send({ type: 'getSession' }).then(setSession, () => setSession(null));
  }, []);

  if (!settings) return <main class="options">{message?.kind === 'error' ? <Notice error={message.error} /> : <p role="status">Loading…</p>}</main>;

  /** Runs one action at a time; the answer is shown in the status line. */
  const act = async (work: () => Promise<string>) => {
    if (busy) return;
    setBusy(true);
    try {
      setMessage({ kind: 'ok', text: await work() });
    } catch (failure) {
      setMessage({ kind: 'error', error: toErrorInfo(failure) });
    } finally {
      setBusy(false);
    }
  };
  const save = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const wasSignedIn = session?.signedIn ?? false;
      setSettings(await send({ type: 'saveSettings', settings }));
      const now = await send({ type: 'getSession' });
      setSession(now);
      return wasSignedIn && !now.signedIn
        ? 'Saved. The relay or account changed, so you were signed out: sign in again from the toolbar button.'
        : 'Saved.';
    });
  };
  const fieldError = message?.kind === 'error' && message.error.field ? message.error : null;

  return (
    <main class="options">
      <h1>Agile CRM Lookup — Settings</h1>
      <form onSubmit={save} aria-label="Connection settings" noValidate>
        <section>
          <h2>Connection</h2>
          <Field id="agile" label="Agile CRM domain" value={settings.agile} error={fieldError} placeholder="acme  (for acme.agilecrm.com)"
            hint="Your account’s subdomain, or a full address such as http://127.0.0.1:8788 for the local sandbox."
            onInput={(agile) => setSettings({ ...settings, agile })} />
          <Field id="relayUrl" label="Relay address" value={settings.relayUrl} error={fieldError} required
            hint="The token relay your team runs (see the README). It holds the secrets; the extension never does."
            onInput={(relayUrl) => setSettings({ ...settings, relayUrl })} />
          <button type="submit" class="btn btn-primary" aria-disabled={busy}>{busy ? 'Saving…' : 'Save'}</button>
        </section>
      </form>
      <section aria-label="Account">
        <h2>Account</h2>
        <p>{session?.signedIn ? `Signed in${session.user ? ` as ${session.user}` : ''}.` : 'Signed out. Sign in from the toolbar button.'}</p>
        <div class="buttons">
          {session?.signedIn && (
            <button type="button" class="btn" aria-disabled={busy} onClick={() => act(async () => { setSession(await send({ type: 'signOut' })); return 'Signed out.'; })}>Sign out</button>
          )}
          <button type="button" class="btn" aria-disabled={busy} onClick={() => act(async () => { await send({ type: 'clearCache' }); return 'Cached contacts cleared.'; })}>Clear cached contacts</button>
        </div>
      </section>
      <FollowedSites />
      <div class="live" role="status" aria-live="polite">
        {message?.kind === 'ok' && <p class="notice notice-ok">{message.text}</p>}
        {message?.kind === 'error' && !fieldError && <p class="notice notice-error" role="alert">{message.error.message}</p>}
      </div>
    </main>
  );
}
