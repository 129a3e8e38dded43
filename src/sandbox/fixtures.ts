/**
 * Pages that are hard to read, served by the sandbox for the end-to-end tests and the benchmarks: a thread inside
 * frames, people inside web components, a long page, a hostile one, forms and obfuscated addresses,
 * internationalized addresses, a PDF. Each one holds people the seed knows, so a test sees cards or their absence.
 */
import { html, raw } from 'hono/html';
import { demoThread, STYLE } from './pages';
import type { SeedData } from './seed';

const page = (title: string, body: ReturnType<typeof html> | ReturnType<typeof raw>) => html`<!doctype html><html lang="en"><head>
<meta charset="utf-8"><title>${title}</title>${STYLE}</head><body><main style="max-width:720px">${body}</main></body></html>`;

/**
 * Webmail that renders the message in frames (Roundcube, Zimbra): the thread in a same-origin frame, a nested
 * `srcdoc` frame inside it, an `about:blank` frame filled by script, and a frame of another origin (`otherOrigin`,
 * the same server under another host name) whose address must not be read.
 */
export function framesPage(seed: SeedData, otherOrigin: string) {
  return page('Inbox — framed', html`<h1>Inbox</h1>
<iframe id="message" src="/demo/frames/message" title="Message" style="width:100%;height:260px"></iframe>
<iframe id="blank" title="Notes" style="width:100%;height:60px"></iframe>
<iframe id="other" src="${otherOrigin}/demo/frames/other" title="Ad" style="width:100%;height:60px"></iframe>
<script>document.getElementById('blank').contentDocument.body.innerHTML = '<p>Logistics: ${seed.quirks.card}</p>';</script>`);
}

/** The message inside framesPage: the demo thread, with a signature in a `srcdoc` frame of its own. */
export function framedMessage(seed: SeedData) {
  const { unicode } = seed.quirks;
  return page('Message', html`${demoThread(seed)}<iframe title="Signature" srcdoc="${`<p>Jürgen Weiß &lt;${unicode}&gt;</p>`}"></iframe>`);
}

/** A frame of another origin inside framesPage. */
export function otherOriginFrame() {
  return page('Ad', html`<p>Ads by other.example: offers@other-origin.example</p>`);
}

/**
 * People inside web components: the thread in an open shadow root, a card nested two shadow roots deep, slotted
 * light-DOM text, and a closed shadow root, which no extension can read.
 */
export function shadowPage(seed: SeedData) {
  const { unicode, apostrophe } = seed.quirks;
  return page('Team — components', html`<h1>Team</h1>
<x-thread></x-thread>
<x-card><span slot="who">${apostrophe}</span></x-card>
<x-secret></x-secret>
<template id="thread">${demoThread(seed)}</template>
<script>
  customElements.define('x-thread', class extends HTMLElement {
    connectedCallback() { this.attachShadow({ mode: 'open' }).append(document.getElementById('thread').content.cloneNode(true)); }
  });
  customElements.define('x-inner', class extends HTMLElement {
    connectedCallback() { const root = this.attachShadow({ mode: 'open' }); root.innerHTML = '<p>Engineering: <b>${unicode}</b></p>'; }
  });
  customElements.define('x-card', class extends HTMLElement {
    connectedCallback() { const root = this.attachShadow({ mode: 'open' }); root.innerHTML = '<div><slot name="who"></slot><x-inner></x-inner></div>'; }
  });
  customElements.define('x-secret', class extends HTMLElement {
    connectedCallback() { this.attachShadow({ mode: 'closed' }).innerHTML = '<p>closed@shadow.example</p>'; }
  });
</script>`);
}

/**
 * Addresses in what a rep types and clicks: a mailto link with several recipients and cc/bcc, a compose form's
 * fields (and a password field whose value must never be read), obfuscated addresses in a staff directory,
 * ordinary prose, and the record with the quirky card.
 */
export function formsPage(seed: SeedData) {
  const [first, second, third] = seed.demoKnownEmails;
  const { apostrophe, card, unicode } = seed.quirks;
  const [local, domain] = card.split('@') as [string, string];
  const [dLocal, dDomain] = (unicode.split('@') as [string, string]);
  const [dHost, ...dRest] = dDomain.split('.');
  return page('Compose — forms', html`<h1>New message</h1>
<p><a href="mailto:${first},${apostrophe}?subject=Q1&cc=${encodeURIComponent(second!)}&bcc=${third}">Mail the account team</a></p>
<form><label>To <input id="to" type="email" value=""></label>
<label>Password <input id="password" type="password" value="secret.pass@leak.example"></label>
<label>Notes <textarea id="notes"></textarea></label></form>
<h2>Staff directory</h2>
<ul><li>Marisol Vega — ${local} [at] ${domain.replace(/\./g, ' [dot] ')}</li>
<li>Jürgen Weiß — ${dLocal}(at)${dHost}(dot)${dRest.join('(dot)')}</li></ul>
<p>We met at the office at noon (at the latest), then dot the i’s; the dot-com era is over. Shares of AT&amp;T rose.</p>`);
}

/**
 * Addresses beside other words with no space between them in the markup, as CRMs, directories and mail apps lay
 * out rows: flex and grid cells, inline-blocks, plain adjacent spans after a whole address — each shown apart, so
 * never one address — and highlighted parts of one address (a search hit, a bold domain), which are one.
 */
export function layoutPage(seed: SeedData) {
  const [first, second, third, fourth, fifth] = seed.demoKnownEmails as [string, string, string, string, string];
  const [thirdLocal, thirdDomain] = third.split('@') as [string, string];
  const [fourthLocal, fourthDomain] = fourth.split('@') as [string, string];
  const [fourthHost, ...fourthRest] = fourthDomain.split('.');
  return page('Team — layout', html`<h1>Account team</h1>
<div style="display:flex;gap:8px"><span>Ada Lovelace</span><span>${first}</span><span>Sales</span></div>
<p><span>${second}</span><span>Sales</span></p>
<p>Search hits: <mark>${thirdLocal}</mark>@${thirdDomain}</p>
<p>${fourthLocal}@<b>${fourthHost}</b>.${fourthRest.join('.')}</p>
<div style="display:grid;grid-template-columns:120px 1fr"><span>Contact</span><span>${fifth}</span></div>
<p><span style="display:inline-block">Owner</span><span style="display:inline-block">${first}</span></p>`);
}

/** Two known people, one address Agile CRM has never heard of in punycode, and a Unicode one it has, as written. */
export function idnPage(seed: SeedData) {
  const [first, second] = seed.demoKnownEmails;
  return page('Partners — IDN', html`<h1>Partners</h1><p>${first}, ${second}, info@xn--mnchen-3ya.example, ${seed.quirks.unicode}</p>`);
}

/** Deterministic filler prose: "Lorem"-like sentences that hold no address. */
function prose(bytes: number): string {
  const words = ['renewal', 'quarter', 'pipeline', 'contract', 'the', 'team', 'review', 'pricing', 'meeting', 'at', 'noon', 'dot',
    'proposal', 'signed', 'customer', 'support', 'invoice', 'on', 'Monday', 'with', 'a', 'discount', 'of', '5%', '(see', 'above)'];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const sentence = `${Array.from({ length: 12 }, (_, j) => words[(i * 7 + j * 5) % words.length]).join(' ')}.`;
    parts.push(i % 8 === 7 ? `${sentence}</p><p>` : `${sentence} `);
    size += sentence.length + 1;
  }
  return parts.join('');
}

/** About 2 MB of ordinary text, with the thread at its very end: a scanner must read the whole page. */
export function largePage(seed: SeedData, bytes = 1_900_000) {
  return page('Long thread', html`<p>${raw(prose(bytes))}</p>${demoThread(seed)}`);
}

/**
 * The thread, then about 2 MB built to make a backtracking regular expression take seconds: a hundred `title`s of
 * `ab<` and 9,997 `@` (the issue's six, many times over), then runs of `@`, of local-part characters, of dots and
 * hyphens, of bracketed "at", and a display name before a long run.
 */
export function adversarialPage(seed: SeedData, bytes = 2_000_000) {
  const hostile = `ab<${'@'.repeat(9_997)}`;
  const titles = Math.floor(bytes / 2 / hostile.length);
  const chunk = Math.floor(bytes / 2 / 8);
  const runs = [
    '@'.repeat(chunk), 'a'.repeat(chunk), `${'a.'.repeat(chunk / 2)}@`, `a@${'b-'.repeat(chunk / 2)}`, 'x@'.repeat(chunk / 2),
    `a@${'b.'.repeat(chunk / 2)}c`, `${'(at)'.repeat(chunk / 4)}`, `Ada <${'a'.repeat(chunk / 2)}@b.com>`,
  ];
  return page('Hostile', html`${demoThread(seed)}
${Array.from({ length: titles }, () => html`<span title="${hostile}">hover</span> `)}
<div style="word-break:break-all">${runs.map((run) => html`<p>${run}</p>`)}</div>`);
}

/**
 * A one-page PDF whose text is `line` (Helvetica, no compression): the smallest valid file Chrome's viewer opens.
 * `line` must be printable ASCII without parentheses or backslashes, so the file is ASCII and its offsets are bytes.
 */
export function pdfDocument(line: string): string {
  const text = `BT /F1 14 Tf 40 60 Td (${line}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 120] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((object, index) => {
    const offset = out.length;
    out += `${index + 1} 0 obj\n${object}\nendobj\n`;
    return offset;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return out;
}
