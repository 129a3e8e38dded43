/**
 * The sandbox's HTML: the OAuth sign-in + consent page, the demo page with emails to look up, and the stand-in
 * for Agile's web app that "Open in Agile CRM" links to. Every interpolation is escaped by `html`.
 */
import { html, raw } from 'hono/html';
import type { SeedData } from './seed';

export const STYLE = raw(`<style>
  :root { color-scheme: light dark; font: 15px/1.45 system-ui, sans-serif; }
  body { margin: 0; background: Canvas; color: CanvasText; }
  main { max-width: 420px; margin: 48px auto; padding: 28px; border: 1px solid #8884; border-radius: 12px; }
  h1 { font-size: 20px; margin: 0 0 4px; } p.sub { margin: 0 0 20px; opacity: .75; }
  label { display: block; margin: 12px 0 4px; font-weight: 600; }
  input { box-sizing: border-box; width: 100%; padding: 9px 10px; font: inherit; border: 1px solid #8888; border-radius: 8px; }
  .row { display: flex; gap: 10px; margin-top: 20px; } button { flex: 1; padding: 10px; font: inherit; font-weight: 600;
  border-radius: 8px; border: 1px solid #8888; cursor: pointer; } button.primary { background: #1f6feb; color: #fff; border-color: #1f6feb; }
  .error { background: #d1242f22; border: 1px solid #d1242f88; padding: 10px; border-radius: 8px; margin: 12px 0; }
  .hint { font-size: 13px; opacity: .7; margin-top: 14px; }
</style>`);

export interface ConsentPageInput {
  requestId: string;
  clientId: string;
  email: string;
  error?: string;
}

export function consentPage(input: ConsentPageInput) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in — Agile CRM sandbox</title>
<meta name="viewport" content="width=device-width, initial-scale=1">${STYLE}</head><body><main>
<h1>Sign in to Agile CRM</h1>
<p class="sub"><b>${input.clientId}</b> wants to read and update your contacts.</p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<form method="post" action="/oauth/authorize">
  <input type="hidden" name="request_id" value="${input.requestId}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" value="${input.email}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" value="demo">
  <div class="row">
    <button type="submit" name="decision" value="deny" id="deny">Deny</button>
    <button type="submit" name="decision" value="allow" id="allow" class="primary">Allow</button>
  </div>
</form>
<p class="hint">Sandbox account: demo@example.com / demo</p>
</main></body></html>`;
}

export function errorPage(title: string, message: string) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${STYLE}</head>
<body><main><h1>${title}</h1><p class="error" role="alert">${message}</p></main></body></html>`;
}

/**
 * A thread a rep might be reading: a Gmail-like header (addresses in `email` attributes), mailto links, addresses in
 * running text, and addresses that are not people (noreply, an image name). The demo page, and the start of the
 * fixture pages that must show the same people (sandbox/fixtures.ts).
 */
export function demoThread(seed: SeedData) {
  const [first, second, third, fourth, plus] = seed.demoKnownEmails;
  const [unknownA, unknownB] = seed.demoUnknownEmails;
  return html`<h1>Re: Q1 renewal</h1>
<div class="thread-header" role="heading" aria-level="2">
  <span class="gD" email="${first}" name="Sender">${first}</span> to
  <span class="g2" email="${second}" name="Recipient">me</span>,
  <span class="g2" email="${unknownA}" name="Jordan Rivers">Jordan Rivers</span>
</div>
<p>Hi all, looping in <a href="mailto:${third}?subject=Renewal">our CFO</a> and
<a href="mailto:${unknownB}">Pat Kim</a> from the new team.</p>
<p>For billing questions write to ${fourth} or ${plus}. Please don't reply to noreply@billing.example.</p>
<img alt="" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="logo@2x.png">`;
}

/** The demo page: the thread above, as the sandbox serves it at /demo. */
export function demoPage(seed: SeedData) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Re: Q1 renewal — demo thread</title>
<meta name="viewport" content="width=device-width, initial-scale=1">${STYLE}</head><body><main style="max-width:720px">
${demoThread(seed)}
<p class="hint">Agile CRM sandbox demo page.</p>
</main></body></html>`;
}

/** A page with `n` addresses (seeded contacts first, then strangers), for measuring lookups of many emails. */
export function manyEmailsPage(seed: SeedData, n: number) {
  const count = Math.min(Math.max(Number.isFinite(n) ? Math.floor(n) : 50, 1), 1000);
  const known = seed.contacts.filter((contact) => contact.type === 'PERSON')
    .map((contact) => String(contact.properties.find((property) => property.name === 'email')?.value));
  const emails = Array.from({ length: count }, (_, i) => known[i] ?? `stranger${i}@nowhere.example`);
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${count} addresses</title>${STYLE}</head>
<body><main style="max-width:720px"><h1>Attendee list</h1><ul>${emails.map((email) => html`<li><a href="mailto:${email}">${email}</a></li>`)}</ul></main></body></html>`;
}

/** The hostile records' addresses, for the popup's inert-rendering test. */
export function hostilePage(seed: SeedData) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Imported leads</title>${STYLE}</head>
<body><main><h1>Imported leads</h1>${seed.hostileEmails.map((email) => html`<p>${email}</p>`)}</main></body></html>`;
}

/** What "Open in Agile CRM" reaches on the sandbox: the contact id from the URL fragment, as Agile's app reads it. */
export function webAppPage() {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Agile CRM sandbox</title>${STYLE}</head>
<body><main><h1>Agile CRM sandbox</h1><p id="where">Open a contact from the extension to land here.</p>
<script>
  const show = () => { const m = /^#contact\\/(\\d+)$/.exec(location.hash);
    if (m) document.getElementById('where').textContent = 'Contact ' + m[1] + ' would open here in Agile CRM.'; };
  addEventListener('hashchange', show); show();
</script></main></body></html>`;
}
