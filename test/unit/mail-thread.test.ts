/**
 * Mail-site knowledge on the sandbox's Gmail- and Outlook-shaped fixture pages (parsed by happy-dom): which
 * conversation a URL shows, and the conversation's people — the latest sender first, then the others, the list behind
 * the conversation never read. Property tests for what parses page input: URLs, account titles and labels.
 */
import fc from 'fast-check';
import { Window } from 'happy-dom';
import { afterAll, describe, expect, it } from 'vitest';
import { findPeople } from '../../src/scanner/people';
import { conversationKey, FOLLOWABLE_SITES, mailSiteOf } from '../../src/scanner/mail-sites';
import { gmailAccountFromLabel, gmailAccountFromTitle, readThread, roleOfLabel } from '../../src/scanner/mail-thread';
import { gmailPage, LIST_ONLY, mailThreads, outlookPage } from '../../src/sandbox/mail-fixtures';
import { createSeed } from '../../src/sandbox/seed';
import manifest from '../../manifest.json' with { type: 'json' };

const seed = createSeed();
const threads = mailThreads(seed);
const me = seed.users[0]!.email;
const windows: Window[] = [];
afterAll(() => Promise.all(windows.map((window) => window.happyDOM.close())));

/** The fixture page as a document (no scripts run: `open` renders the conversation on the server). */
function documentOf(page: ReturnType<typeof gmailPage>): Document {
  const window = new Window({ settings: { disableJavaScriptEvaluation: true } });
  windows.push(window);
  window.document.write(String(page));
  return window.document as unknown as Document;
}
const people = (document: Document, site: 'gmail' | 'outlook') => {
  const read = readThread(document, site);
  return read && { emails: findPeople(read.candidates).emails.map((person) => person.email), account: read.account };
};

describe('the followable sites', () => {
  it('are the manifest’s optional host permissions, exactly', () => {
    expect(FOLLOWABLE_SITES.map((site) => site.origin)).toEqual(manifest.optional_host_permissions);
  });

  it('only over https, on those exact hosts', () => {
    expect(mailSiteOf('https://mail.google.com/mail/u/0/#inbox')?.site).toBe('gmail');
    expect(mailSiteOf('https://outlook.live.com/mail/0/')?.site).toBe('outlook');
    for (const url of ['http://mail.google.com/', 'https://mail.google.com.evil.example/', 'https://evil.example/#https://mail.google.com/',
      'https://mail.google.com:8443/', 'https://google.com/', 'not a url', '']) expect(mailSiteOf(url)).toBeNull();
  });
});

describe('conversationKey', () => {
  const id = threads[0]!.gmailId;
  it('Gmail: the conversation in the fragment, whatever view or label it was opened from, compose windows left out', () => {
    const keys = [`#inbox/${id}`, `#label/Clients+2026/${id}`, `#search/ada/${id}`, `#inbox/${id}?compose=new`, `#all/${id}`]
      .map((fragment) => conversationKey(`https://mail.google.com/mail/u/0/${fragment}`));
    expect(new Set(keys)).toEqual(new Set([`gmail:0:${id}`]));
    expect(conversationKey(`https://mail.google.com/mail/u/1/#inbox/${id}`)).toBe(`gmail:1:${id}`);
    for (const fragment of ['#inbox', '#label/Clients', '#settings/general', '#inbox/p2', '']) {
      expect(conversationKey(`https://mail.google.com/mail/u/0/${fragment}`)).toBeNull();
    }
  });

  it('Gmail: a label, search or category view with a long name is a list, not a conversation', () => {
    const lists = ['#label/Clients+In+Progress', '#label/QuarterlyReports2026', '#search/quarterly+report+acme', '#search/proposal+for+acme+corp',
      '#category/promotions+and+more', '#label/Clients+In+Progress/p2'];
    for (const fragment of lists) expect(conversationKey(`https://mail.google.com/mail/u/0/${fragment}`), fragment).toBeNull();
    // The conversation opened from them still is one.
    expect(conversationKey(`https://mail.google.com/mail/u/0/#label/Clients+In+Progress/${id}`)).toBe(`gmail:0:${id}`);
    expect(conversationKey(`https://mail.google.com/mail/u/0/#search/quarterly+report+acme/${id}`)).toBe(`gmail:0:${id}`);
  });

  it('Outlook: the conversation in the path (or an old ItemID link), decoded, per host', () => {
    const oid = 'AAQkADAwATM0MDAAMS1hYjI3LTk2ZjMtMDACLTAwCgAQAJ1/x+y=';
    const encoded = encodeURIComponent(oid);
    const keys = [`/mail/inbox/id/${encoded}`, `/mail/0/inbox/id/${encoded}`, `/mail/id/${encoded}?utm_source=x`, `/mail/deeplink/read/${encoded}`, `/owa/?ItemID=${encoded}`]
      .map((path) => conversationKey(`https://outlook.office.com${path}`));
    expect(new Set(keys)).toEqual(new Set([`outlook:outlook.office.com:${oid}`]));
    expect(conversationKey(`https://outlook.live.com/mail/inbox/id/${encoded}`)).toBe(`outlook:outlook.live.com:${oid}`);
    expect(conversationKey('https://outlook.office.com/mail/inbox')).toBeNull();
    expect(conversationKey(`https://example.com/mail/inbox/id/${encoded}`)).toBeNull();
  });

  it('any URL: never throws, a key only for a followable https site, and equal URLs give equal keys', () => {
    const hosts = fc.constantFrom('mail.google.com', 'outlook.office.com', 'outlook.live.com', 'example.com', 'mail.google.com.example');
    const url = fc.tuple(fc.constantFrom('https', 'http'), hosts, fc.webPath(), fc.webFragments(), fc.webQueryParameters())
      .map(([scheme, host, path, fragment, query]) => `${scheme}://${host}${path}?${query}#${fragment}`);
    fc.assert(fc.property(fc.oneof(url, fc.string(), fc.webUrl()), (input) => {
      const key = conversationKey(input);
      if (key !== null) expect(mailSiteOf(input)).not.toBeNull();
      expect(conversationKey(input)).toBe(key);
    }));
  });
});

describe('Gmail’s shape', () => {
  it('each conversation: the latest sender, then the others (quoted authors too), the rep and the list left out', () => {
    for (const thread of threads) {
      const read = people(documentOf(gmailPage(seed, thread.gmailId)), 'gmail')!;
      expect(read.account).toBe(me);
      expect(read.emails.filter((email) => email !== read.account)).toEqual(thread.expected);
      expect(read.emails).not.toContain(LIST_ONLY.email);
    }
  });

  it('the names Gmail gives', () => {
    const read = readThread(documentOf(gmailPage(seed, threads[0]!.gmailId)), 'gmail')!;
    const found = findPeople(read.candidates).emails;
    expect(found[0]).toEqual({ email: threads[0]!.messages[1]!.from.email, name: threads[0]!.messages[1]!.from.name });
    // "On …, Name <address> wrote:" gives the quoted author's name.
    const quoted = threads[0]!.messages[1]!.quoted!.person;
    expect(found).toContainEqual({ email: quoted.email, name: quoted.name });
  });

  it('no conversation open (the inbox list): nothing to read as one', () => {
    expect(readThread(documentOf(gmailPage(seed)), 'gmail')).toBeNull();
  });

  it('the account: from the title, else the account button; anything else is not one', () => {
    expect(gmailAccountFromTitle('Re: Q1 renewal - dana@example.com - Gmail')).toBe('dana@example.com');
    expect(gmailAccountFromTitle('Inbox (3) - a - b - dana@example.com - Gmail')).toBe('dana@example.com');
    expect(gmailAccountFromTitle('dana@example.com - Gmail - Inbox')).toBeNull();
    expect(gmailAccountFromLabel('Google Account: Dana Demo (dana@example.com)')).toBe('dana@example.com');
    expect(gmailAccountFromLabel('Google Account: Dana Demo')).toBeNull();
    fc.assert(fc.property(fc.string({ maxLength: 2_000 }), fc.emailAddress(), (noise, email) => {
      const title = gmailAccountFromTitle(noise);
      if (title !== null) expect(noise.endsWith(`${title} - Gmail`)).toBe(true);
      const label = gmailAccountFromLabel(noise);
      if (label !== null) expect(noise).toContain(`(${label})`);
      expect(gmailAccountFromTitle(`${noise} - ${email} - Gmail`)).toBe(email);
    }));
    // Long hostile titles are read in linear time (only their end is looked at).
    expect(gmailAccountFromTitle(`${' - a@b'.repeat(200_000)} - Gmail`)).toBe('a@b');
  });
});

describe('Outlook’s shape', () => {
  it('each conversation: the latest sender, then the others, from persona text, title and aria-label', () => {
    for (const thread of threads) {
      const read = people(documentOf(outlookPage(seed, thread.outlookId)), 'outlook')!;
      // Outlook names no account reliably: the worker leaves out the signed-in rep (the session's address).
      expect(read.account).toBeNull();
      expect(read.emails.filter((email) => email !== me)).toEqual(thread.expected);
      expect(read.emails).not.toContain(LIST_ONLY.email);
    }
  });

  it('names from "Name <address>" labels and persona text', () => {
    const found = findPeople(readThread(documentOf(outlookPage(seed, threads[1]!.outlookId)), 'outlook')!.candidates).emails;
    const message = threads[1]!.messages[0]!;
    expect(found).toContainEqual({ email: message.from.email, name: message.from.name });
    expect(found).toContainEqual({ email: message.cc[0]!.email, name: message.cc[0]!.name });
  });

  it('no reading pane content: no conversation', () => {
    const read = readThread(documentOf(outlookPage(seed)), 'outlook');
    expect(read?.candidates.length ?? 0).toBe(0);
  });

  it('roles: "From:" labels the sender, anything else is someone else', () => {
    expect(roleOfLabel('From: Ada <ada@example.com>')).toBe('from');
    expect(roleOfLabel(' from:')).toBe('from');
    expect(roleOfLabel('To: From Ada <ada@example.com>')).toBe('other');
    fc.assert(fc.property(fc.string(), (label) => {
      expect(['from', 'other']).toContain(roleOfLabel(label));
    }));
  });
});
