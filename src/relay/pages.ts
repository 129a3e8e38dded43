/**
 * The relay's pages, shown inside the `launchWebAuthFlow` window. They always answer 200: a 4xx page makes the
 * browser end the flow with "Authorization page could not be loaded" and the rep would lose the form.
 */
import { html, raw } from 'hono/html';

const STYLE = raw(`<style>
  :root { color-scheme: light dark; font: 15px/1.45 system-ui, sans-serif; }
  body { margin: 0; background: Canvas; color: CanvasText; }
  main { max-width: 420px; margin: 40px auto; padding: 28px; border: 1px solid #8884; border-radius: 12px; }
  h1 { font-size: 20px; margin: 0 0 4px; } p.sub { margin: 0 0 18px; opacity: .75; }
  label { display: block; margin: 14px 0 4px; font-weight: 600; }
  .field { display: flex; align-items: center; gap: 6px; }
  input { box-sizing: border-box; width: 100%; padding: 9px 10px; font: inherit; border: 1px solid #8888; border-radius: 8px; }
  .suffix { opacity: .7; white-space: nowrap; }
  button { margin-top: 22px; width: 100%; padding: 10px; font: inherit; font-weight: 600; border-radius: 8px;
    border: 1px solid #1f6feb; background: #1f6feb; color: #fff; cursor: pointer; }
  .error { background: #d1242f22; border: 1px solid #d1242f88; padding: 10px; border-radius: 8px; margin: 12px 0; }
  .hint { font-size: 13px; opacity: .75; margin: 6px 0 0; }
</style>`);

export function authorizeErrorPage(message: string) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cannot sign in</title>${STYLE}</head>
<body><main><h1>Cannot sign in</h1><p class="error" role="alert">${message}</p>
<p class="hint">Close this window and start again from the extension.</p></main></body></html>`;
}

export interface BridgeSignInInput {
  requestId: string;
  domain: string;
  email: string;
  error?: string;
}

/** The API-key bridge's sign-in form: domain, email and REST API key, checked against the account itself. */
export function bridgeSignInPage(input: BridgeSignInInput) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to Agile CRM</title>
<meta name="viewport" content="width=device-width, initial-scale=1">${STYLE}</head><body><main>
<h1>Sign in to Agile CRM</h1>
<p class="sub">Connect the Agile CRM Lookup extension to your account. Your API key stays on this relay; the
browser only ever holds short-lived tokens.</p>
${input.error ? html`<p class="error" role="alert" id="error">${input.error}</p>` : ''}
<form method="post" action="authorize" autocomplete="on">
  <input type="hidden" name="request_id" value="${input.requestId}">
  <label for="domain">Agile CRM domain</label>
  <div class="field"><input id="domain" name="domain" required maxlength="63" value="${input.domain}"
    placeholder="acme" autocapitalize="off" spellcheck="false"><span class="suffix">.agilecrm.com</span></div>
  <label for="email">Your email</label>
  <input id="email" name="email" type="email" required maxlength="254" autocomplete="username" value="${input.email}">
  <label for="api_key">REST API key</label>
  <input id="api_key" name="api_key" type="password" required maxlength="200" autocomplete="off">
  <p class="hint">In Agile CRM: <b>Admin Settings → Developers &amp; API → REST API key</b>.</p>
  <button type="submit" id="submit">Sign in</button>
</form>
</main></body></html>`;
}
