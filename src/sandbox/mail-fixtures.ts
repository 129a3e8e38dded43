/**
 * Mail apps shaped like Gmail and Outlook on the web — our own pages, written from those apps' public markup
 * patterns, not copies — for the side panel's tests: an inbox list, a conversation view that a single-page app swaps
 * on a fragment (Gmail: `#inbox/<id>`) or path change (Outlook: `/mail/inbox/id/<id>`, `history.pushState`), and the
 * people markup the scanner reads (src/scanner/mail-thread.ts). The signed-in account is the sandbox's first user.
 *
 * Served at /demo/gmail/… and /demo/outlook/…; the tests show them at https://mail.google.com and
 * https://outlook.office.com (puppeteer answers those requests with these pages), so the extension sees the real
 * sites' URLs. With `open`, the conversation is rendered by the server too (the unit tests read it without scripts).
 */
import { html, raw } from 'hono/html';
import type { SeedData } from './seed';

export interface MailPerson {
  email: string;
  name: string;
}

export interface MailMessage {
  from: MailPerson;
  to: MailPerson[];
  cc: MailPerson[];
  body: string;
  /** "On …, Name <address> wrote:" under the body. */
  quoted?: { person: MailPerson; date: string };
}

export interface MailThread {
  gmailId: string;
  outlookId: string;
  subject: string;
  messages: MailMessage[];
  /** Who the panel lists for this conversation, in order: the latest sender first, the rep left out. */
  expected: string[];
}

function nameOf(seed: SeedData, email: string): string {
  const contact = seed.contacts.find((candidate) => candidate.properties.some((property) => property.name === 'email' && property.value === email));
  const part = (name: string) => String(contact?.properties.find((property) => property.name === name)?.value ?? '');
  return contact ? `${part('first_name')} ${part('last_name')}`.trim() : email.split('@')[0]!.split('.').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' ');
}

/** The three conversations of both mailboxes, built from the seed's demo people. */
export function mailThreads(seed: SeedData): MailThread[] {
  const person = (email: string): MailPerson => ({ email, name: nameOf(seed, email) });
  const me = { email: seed.users[0]!.email, name: seed.users[0]!.name };
  const [first, second, third, fourth, fifth] = seed.demoKnownEmails.map(person) as [MailPerson, MailPerson, MailPerson, MailPerson, MailPerson];
  const [unknownA, unknownB] = seed.demoUnknownEmails.map(person) as [MailPerson, MailPerson];
  return [
    {
      gmailId: 'FMfcgzQXJWDsKmsNbCDRVzfnmBztGrbX',
      outlookId: 'AAQkADAwATM0MDAAMS1hYjI3LTk2ZjMtMDACLTAwCgAQAJ1',
      subject: 'Re: Q1 renewal',
      messages: [
        { from: second, to: [me, first], cc: [], body: 'Can we move the renewal call to Thursday?' },
        {
          from: first, to: [me], cc: [unknownA], body: 'Thursday works. Looping in Jordan from the new team.',
          quoted: { person: third, date: 'Mon, 2 Nov 2026 at 10:02' },
        },
      ],
      expected: [first.email, second.email, unknownA.email, third.email],
    },
    {
      gmailId: 'FMfcgzQXKbWqLmRtVcJhPnXsZdFgHkTp',
      outlookId: 'AAQkADAwATM0MDAAMS1hYjI3LTk2ZjMtMDACLTAwCgAQAJ2',
      subject: 'Billing contacts',
      messages: [{ from: fourth, to: [me], cc: [fifth], body: 'For invoices, write to both of us.' }],
      expected: [fourth.email, fifth.email],
    },
    {
      gmailId: 'FMfcgzQXLcXrMnSuWdKiQoYtAeGhJlUq',
      outlookId: 'AAQkADAwATM0MDAAMS1hYjI3LTk2ZjMtMDACLTAwCgAQAJ3',
      subject: 'Introduction',
      messages: [{ from: unknownB, to: [me], cc: [], body: 'Nice to meet you — happy to talk next week.' }],
      expected: [unknownB.email],
    },
  ];
}

/** Someone in the inbox list only: never one of an open conversation's people. */
export const LIST_ONLY = { email: 'newsletter.editor@list-only.example', name: 'List Only' };

const STYLE = raw(`<style>
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; display: grid; grid-template-columns: 180px 1fr; min-height: 100vh; }
  nav { padding: 12px; background: #f2f6fc; } main, #ReadingPaneContainerId { padding: 16px 20px; }
  .zA, [role=option] { display: flex; gap: 12px; padding: 6px 0; border-bottom: 1px solid #ddd; }
  .hP, .subject { font-size: 20px; margin: 0 0 12px; } .adn, .message { border-bottom: 1px solid #ddd; padding: 10px 0; }
  .gD { font-weight: 700; } .go, .kv { color: #5f6368; } .gmail_quote, .quoted { color: #5f6368; border-left: 2px solid #ccc; padding-left: 8px; }
</style>`);

// ── Gmail ────────────────────────────────────────────────────────────────────────────────────────────────────────
const gmailPerson = (cls: string, who: MailPerson, shown = who.name) => html`<span class="${cls}" email="${who.email}" name="${who.name}">${shown}</span>`;

function gmailRecipients(seedUser: string, people: MailPerson[]) {
  return people.map((who, index) => html`${index > 0 ? ', ' : ''}${gmailPerson('g2', who.email === seedUser ? { ...who, name: 'me' } : who, who.email === seedUser ? 'me' : who.name)}`);
}

function gmailThread(thread: MailThread, user: string) {
  const last = thread.messages.length - 1;
  return html`<h2 class="hP">${thread.subject}</h2>${thread.messages.map((message, index) => index < last
    ? html`<div class="kv" role="listitem">${gmailPerson('zF', message.from)} <span class="y2">${message.body}</span></div>`
    : html`<div class="adn" role="listitem"><div class="gE">
  <h3 class="iw">${gmailPerson('gD', message.from)} <span class="go">&lt;${message.from.email}&gt;</span></h3>
  <div class="hb">to ${gmailRecipients(user, message.to)}${message.cc.length > 0 ? html`, cc: ${gmailRecipients(user, message.cc)}` : ''}</div>
  <table class="ajC" role="presentation" hidden><tbody>
    <tr><td class="gG">from:</td><td class="gL">${gmailPerson('gD', message.from)} &lt;${message.from.email}&gt;</td></tr>
    <tr><td class="gG">to:</td><td class="gL">${message.to.map((who) => html`${gmailPerson('g2', who)} &lt;${who.email}&gt; `)}</td></tr>
    ${message.cc.length > 0 ? html`<tr><td class="gG">cc:</td><td class="gL">${message.cc.map((who) => html`${gmailPerson('g2', who)} &lt;${who.email}&gt; `)}</td></tr>` : ''}
  </tbody></table></div>
  <div class="a3s"><p>${message.body}</p>${message.quoted
    ? html`<div class="gmail_quote"><div class="gmail_attr">On ${message.quoted.date}, ${message.quoted.person.name} &lt;${message.quoted.person.email}&gt; wrote:<br></div><blockquote>Earlier message.</blockquote></div>`
    : ''}</div></div>`)}`;
}

/** Gmail's shape: an inbox list, and the conversation named by the fragment (`open` renders it on the server). */
export function gmailPage(seed: SeedData, open: string | null = null) {
  const user = seed.users[0]!;
  const threads = mailThreads(seed);
  const shown = threads.find((thread) => thread.gmailId === open) ?? null;
  const title = (thread: MailThread | null) => `${thread ? thread.subject : 'Inbox (3)'} - ${user.email} - Gmail`;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title(shown)}</title>${STYLE}</head><body>
<nav><a href="#inbox">Inbox</a><p><a aria-label="Google Account: ${user.name} (${user.email})" href="#settings">${user.name}</a></p></nav>
<div>
<div role="main" id="list"${shown ? raw(' hidden') : ''}><table><tbody>
${threads.map((thread) => html`<tr class="zA"><td>${gmailPerson('yP', thread.messages[thread.messages.length - 1]!.from)}</td><td><a href="#inbox/${thread.gmailId}">${thread.subject}</a></td></tr>`)}
<tr class="zA"><td>${gmailPerson('yP', LIST_ONLY)}</td><td>Weekly digest</td></tr>
</tbody></table></div>
<div role="main" id="thread"${shown ? '' : raw(' hidden')}>${shown ? gmailThread(shown, user.email) : ''}</div>
</div>
${threads.map((thread) => html`<template id="t-${thread.gmailId}" data-title="${title(thread)}">${gmailThread(thread, user.email)}</template>`)}
<script>
  const render = () => {
    const id = location.hash.slice(1).split('?')[0].split('/').pop();
    const template = document.getElementById('t-' + id);
    const thread = document.getElementById('thread');
    document.getElementById('list').hidden = !!template;
    thread.hidden = !template;
    thread.replaceChildren(...(template ? [template.content.cloneNode(true)] : []));
    document.title = template ? template.dataset.title : ${raw(JSON.stringify(title(null)))};
  };
  addEventListener('hashchange', render);
  render();
</script></body></html>`;
}

// ── Outlook on the web ───────────────────────────────────────────────────────────────────────────────────────────
const label = (people: MailPerson[]) => people.map((who) => `${who.name} <${who.email}>`).join('; ');
const persona = (who: MailPerson) => html`<span class="persona" title="${who.email}">${who.name}</span>`;

function outlookThread(thread: MailThread) {
  return html`<div role="heading" aria-level="2" class="subject">${thread.subject}</div>${thread.messages.map((message) => html`<div class="message" role="document">
  <div class="from"><span class="persona" role="button" aria-label="From: ${message.from.name} <${message.from.email}>" title="${message.from.email}">${message.from.name}</span></div>
  <div class="recipients" aria-label="To: ${label(message.to)}">To: ${message.to.map((who, index) => html`${index > 0 ? '; ' : ''}${persona(who)}`)}</div>
  ${message.cc.length > 0 ? html`<div class="recipients" aria-label="Cc: ${label(message.cc)}">Cc: ${message.cc.map((who, index) => html`${index > 0 ? '; ' : ''}${persona(who)}`)}</div>` : ''}
  <div class="body"><p>${message.body}</p>${message.quoted
    ? html`<div class="quoted">On ${message.quoted.date}, ${message.quoted.person.name} &lt;${message.quoted.person.email}&gt; wrote:</div>`
    : ''}</div></div>`)}`;
}

/** Outlook's shape: a message list, and the reading pane for the conversation in the path (`/mail/inbox/id/<id>`). */
export function outlookPage(seed: SeedData, open: string | null = null) {
  const threads = mailThreads(seed);
  const shown = threads.find((thread) => thread.outlookId === open) ?? null;
  const title = (thread: MailThread | null) => `${thread ? thread.subject : 'Inbox'} - ${seed.users[0]!.name} - Outlook`;
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title(shown)}</title>${STYLE}</head><body>
<nav><button type="button" aria-label="Account manager for ${seed.users[0]!.name}">${seed.users[0]!.name}</button></nav>
<div><div role="listbox" aria-label="Message list">
${threads.map((thread) => html`<div role="option"><a data-id="${thread.outlookId}" href="#">${persona(thread.messages[thread.messages.length - 1]!.from)} ${thread.subject}</a></div>`)}
<div role="option">${persona(LIST_ONLY)} Weekly digest</div>
</div>
<div id="ReadingPaneContainerId" role="main" aria-label="Reading Pane">${shown ? outlookThread(shown) : ''}</div></div>
${threads.map((thread) => html`<template id="t-${thread.outlookId}" data-title="${title(thread)}">${outlookThread(thread)}</template>`)}
<script>
  // Served under /demo/outlook here and at the root of outlook.office.com in the tests: links keep whichever prefix.
  const base = location.pathname.replace(/\\/mail(\\/.*)?$/, '');
  const render = () => {
    const id = decodeURIComponent(location.pathname.split('/').pop());
    const template = document.getElementById('t-' + id);
    document.getElementById('ReadingPaneContainerId').replaceChildren(...(template ? [template.content.cloneNode(true)] : []));
    document.title = template ? template.dataset.title : ${raw(JSON.stringify(title(null)))};
  };
  for (const link of document.querySelectorAll('a[data-id]')) {
    link.href = base + '/mail/inbox/id/' + encodeURIComponent(link.dataset.id);
    link.addEventListener('click', (event) => { event.preventDefault(); history.pushState(null, '', link.href); render(); });
  }
  addEventListener('popstate', render);
  render();
</script></body></html>`;
}
