import { useEffect, useState } from 'preact/hooks';
import { toErrorInfo, type ErrorInfo } from '../shared/errors';
import type { SessionView } from '../shared/messages';
import { send } from '../popup/send';
import type { Settings } from '../shared/settings';
import { Notice } from '../popup/components/Notice';

/** Settings: the Agile CRM account and the relay; the sign-in status with sign-out; clearing the cache. */
export function Options() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [session, setSession] = useState<SessionView | null>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; error?: ErrorInfo; text?: string } | null>(null);

  useEffect(() => {
    void Promise.all([send({ type: 'getSettings' }), send({ type: 'getSession' })]).then(([loaded, view]) => {
      setSettings(loaded);
      setSession(view);
    }, (failure) => setMessage({ kind: 'error', error: toErrorInfo(failure) }));
  }, []);

  if (!settings) return <main class="options">{message?.error ? <Notice error={message.error} /> : <p role="status">Loading…</p>}</main>;

  const save = async (event: Event) => {
    event.preventDefault();
    try {
      setSettings(await send({ type: 'saveSettings', settings }));
      setMessage({ kind: 'ok', text: 'Saved. Sign in again if you changed the account or the relay.' });
    } catch (failure) {
      setMessage({ kind: 'error', error: toErrorInfo(failure) });
    }
  };
  const act = async (work: () => Promise<string>) => {
    try {
      setMessage({ kind: 'ok', text: await work() });
    } catch (failure) {
      setMessage({ kind: 'error', error: toErrorInfo(failure) });
    }
  };

  return (
    <main class="options">
      <h1>Agile CRM Lookup — Settings</h1>
      <form onSubmit={save} aria-label="Connection settings">
        <section>
          <h2>Connection</h2>
          <label class="field">
            <span>Agile CRM domain</span>
            <input id="agile" value={settings.agile} placeholder="acme  (for acme.agilecrm.com)" onInput={(event) => setSettings({ ...settings, agile: event.currentTarget.value })} />
          </label>
          <p class="hint">Your account’s subdomain, or a full address such as http://127.0.0.1:8788 for the local sandbox.</p>
          <label class="field">
            <span>Relay address</span>
            <input id="relay" value={settings.relayUrl} required onInput={(event) => setSettings({ ...settings, relayUrl: event.currentTarget.value })} />
          </label>
          <p class="hint">The token relay your team runs (see the README). It holds the secrets; the extension never does.</p>
          <button type="submit" class="btn btn-primary">Save</button>
        </section>
      </form>
      <section aria-label="Account">
        <h2>Account</h2>
        <p role="status">{session?.signedIn ? `Signed in${session.user ? ` as ${session.user}` : ''}.` : 'Signed out. Sign in from the toolbar button.'}</p>
        <div class="buttons">
          {session?.signedIn && (
            <button type="button" class="btn" onClick={() => act(async () => { setSession(await send({ type: 'signOut' })); return 'Signed out.'; })}>Sign out</button>
          )}
          <button type="button" class="btn" onClick={() => act(async () => { await send({ type: 'clearCache' }); return 'Cached contacts cleared.'; })}>Clear cached contacts</button>
        </div>
      </section>
      {message && (message.kind === 'error' ? <Notice error={message.error ?? null} /> : <Notice kind="ok">{message.text}</Notice>)}
    </main>
  );
}
