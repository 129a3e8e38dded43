/**
 * Everything a rep reaches for in the popup, in real Chromium against the sandbox: cached-then-fresh results,
 * search, the full contact card, notes/tasks/deals, the quick actions and their failures, the context menu,
 * keyboard use and the accessibility tree, the options page, themes and hostile data.
 */
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpStorage, openPopup } from '../../scripts/extension';
import { parseContact } from '../../src/shared/contact';
import { cardNames, createWorld, popupFromMenu, type World } from './setup';

let world: World;
beforeAll(async () => {
  world = await createWorld();
  await world.signIn();
});
afterAll(async () => {
  await world?.close();
});

const state = () => world.stack.sandbox.state;
const contactFor = (email: string) => parseContact(state().contactByEmail(email));
const card = (popup: Page, name: string) => popup.waitForSelector(`::-p-xpath(//article[.//h2[normalize-space()="${name}"]])`);
const text = (popup: Page, selector: string) => popup.$eval(selector, (element) => element.textContent ?? '');

describe('lookup', () => {
  it('paints cached contacts at once, then refreshes from Agile CRM', async () => {
    await cardNames(await world.popup());
    state().faults.latency.api = 1_500;
    try {
      const started = Date.now();
      const popup = await world.popup();
      await popup.waitForSelector('article.card');
      expect(Date.now() - started).toBeLessThan(1_400);
      expect(await text(popup, '.status button')).toBe('Refreshing…');
      await popup.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh', { timeout: 5_000 });
      expect(await text(popup, '.status span')).toMatch(/updated just now/);
      const before = state().count('requests.api');
      await popup.locator('.status button').click();
      await popup.waitForFunction(() => document.querySelector('.status button')?.textContent === 'Refresh', { timeout: 5_000 });
      expect(state().count('requests.api')).toBe(before + 1);
    } finally {
      state().faults.latency.api = 0;
    }
  });

  it('with Agile CRM down, shows the cached contacts marked as possibly out of date', async () => {
    state().faults.queue.push({ scope: 'api', kind: 'status', status: 503, times: 100 });
    try {
      const popup = await world.popup();
      await popup.waitForSelector('.notice-info', { timeout: 15_000 });
      expect(await text(popup, '.notice-info')).toMatch(/Couldn’t refresh: Agile CRM is having trouble \(error 503\).*may be out of date/);
      expect((await popup.$$('article.card')).length).toBe(state().seed.demoKnownEmails.length);
    } finally {
      state().faults.queue.length = 0;
    }
  });

  it('searches by name or company', async () => {
    const popup = await world.popup();
    await popup.locator('input[type=search]').fill('helix');
    await popup.keyboard.press('Enter');
    await popup.waitForSelector('section[aria-label="Search results for helix"] article.card');
    const names = await popup.$$eval('article.card .role', (roles) => roles.map((role) => role.textContent ?? ''));
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((role) => role.includes('Helix Biolabs'))).toBe(true);
  });
});

describe('the contact card', () => {
  it('shows who they are, every way to reach them, and opens them in Agile CRM', async () => {
    const email = state().seed.demoKnownEmails[1]!;
    const contact = contactFor(email);
    const popup = await world.popup();
    const article = (await card(popup, contact.name))!;
    const facts = await article.$$eval('.fact', (rows) => rows.map((row) => [row.querySelector('dt')?.textContent, row.querySelector('dd')?.textContent]));
    for (const mail of contact.emails) expect(facts).toContainEqual([expect.stringMatching(/email$/i), mail.value]);
    for (const phone of contact.phones) expect(facts.map(([, value]) => value)).toContain(phone.value);
    expect(facts).toContainEqual(['Owner', contact.owner!.name]);
    expect(facts).toContainEqual(['Industry', String(contact.customFields.find((field) => field.name === 'Industry')!.value)]);
    expect(await article.$eval('.role', (role) => role.textContent)).toBe(`${contact.title} · ${contact.company}`);
    expect(await article.$eval('.avatar', (avatar) => avatar.textContent)).toBe(`${contact.firstName[0]}${contact.lastName[0]}`.toUpperCase());
    expect(await article.$eval('a.open', (link) => link.getAttribute('href'))).toBe(`${world.stack.sandbox.url}/#contact/${contact.id}`);
    const hrefs = await article.$$eval('.facts a', (links) => links.map((link) => link.getAttribute('href') ?? ''));
    expect(hrefs.every((href) => /^(mailto:|tel:\+?\d+$|https?:)/.test(href))).toBe(true);
    expect(await article.$eval('.score', (score) => score.textContent)).toBe(`Score ${contact.leadScore}`);
    expect(await article.$eval('.stars', (stars) => stars.getAttribute('aria-label'))).toBe(`${contact.starValue} of 5 stars`);
  });

  it('loads recent notes, open tasks (overdue in red) and deals on demand', async () => {
    const now = Date.now() / 1000;
    const target = state().seed.tasks.find((task) => !task.is_complete && task.due < now && state().dealsOf(task.contacts[0]!).length > 0 && state().notesOf(task.contacts[0]!).length > 0)!;
    const contact = parseContact(state().contact(target.contacts[0]!));
    const popup = await world.popup();
    await popup.locator('input[type=search]').fill(contact.emails[0]!.value);
    await popup.keyboard.press('Enter');
    const article = (await card(popup, contact.name))!;
    await (await article.$('button[aria-expanded]'))!.click();
    await article.waitForSelector('.details');
    const notes = await article.$$eval('section[aria-label="Recent notes"] li strong', (items) => items.map((item) => item.textContent));
    expect(notes).toEqual(state().notesOf(contact.id).slice(0, 5).map((note) => note.subject));
    const overdue = await article.$$eval('section[aria-label="Open tasks"] li.overdue strong', (items) => items.map((item) => item.textContent));
    expect(overdue).toContain(target.subject);
    const color = await article.$eval('section[aria-label="Open tasks"] li.overdue', (item) => getComputedStyle(item).color);
    expect(color).toMatch(/rgb\((207|255), (34|123), (46|114)\)/);
    const deals = await article.$$eval('section[aria-label="Deals"] li strong', (items) => items.map((item) => item.textContent));
    expect(deals).toEqual(state().dealsOf(contact.id).map((deal) => deal.name));
  });
});

describe('quick actions', () => {
  it('adds a missing email as a contact, prefilled from the page', async () => {
    const popup = await world.popup();
    const [email] = state().seed.demoUnknownEmails;
    await popup.locator(`::-p-aria(Add ${email} to Agile CRM[role="button"])`).click();
    const form = (await popup.waitForSelector(`form[aria-label="Add ${email} to Agile CRM"]`))!;
    const values = await form.$$eval('input', (inputs) => inputs.map((input) => (input as HTMLInputElement).value));
    expect(values.slice(0, 3)).toEqual(['Jordan', 'Rivers', 'Newco']);
    await (await form.$('button[type=submit]'))!.click();
    await popup.waitForSelector('.notice-ok');
    expect(await text(popup, '.notice-ok')).toBe('Jordan Rivers was added to Agile CRM.');
    await card(popup, 'Jordan Rivers');
    expect(state().contactByEmail(email!)).not.toBeNull();
    expect(await popup.$$eval('.missing-who .muted', (items) => items.map((item) => item.textContent))).not.toContain(email);
  });

  it('a duplicate or the contact limit is said in words, and what was typed stays', async () => {
    const popup = await world.popup();
    const email = state().seed.demoUnknownEmails[1]!;
    await popup.locator(`::-p-aria(Add ${email} to Agile CRM[role="button"])`).click();
    const form = (await popup.waitForSelector(`form[aria-label="Add ${email} to Agile CRM"]`))!;
    const title = (await form.$('input[name=title]'))!;
    await title.type('Head of Sales');
    // Meanwhile a colleague adds the same person in Agile CRM.
    state().addContact({
      type: 'PERSON', created_time: 0, updated_time: 0, star_value: 0, lead_score: 0, tags: [], tagsWithTime: [], entity_type: 'contact_entity',
      properties: [{ type: 'SYSTEM', name: 'first_name', value: 'Pat' }, { name: 'email', value: email }], owner: state().seed.contacts[0]!.owner,
    });
    await (await form.$('button[type=submit]'))!.click();
    await form.waitForSelector('.notice-error');
    expect(await form.$eval('.notice-error', (notice) => notice.textContent)).toBe('A contact with this email address is already in Agile CRM.');
    expect(await title.evaluate((input) => (input as HTMLInputElement).value)).toBe('Head of Sales');

    const limit = state().contactLimit;
    state().contactLimit = state().allContacts().length;
    try {
      const over = await popup.evaluate((address) => chrome.runtime.sendMessage({
        type: 'addContact', contact: { firstName: 'Over', lastName: '', email: address, company: '', title: '', phone: '', tags: [] },
      }), 'over.limit@newco.example');
      expect(over).toMatchObject({ ok: false, error: { code: 'limit', message: 'Your Agile CRM plan’s contact limit is reached, so the contact was not added.' } });
    } finally {
      state().contactLimit = limit;
    }
  });

  it('adds a note, adds and removes a tag, and adds a task — each confirmed', async () => {
    const contact = contactFor(state().seed.demoKnownEmails[2]!);
    const popup = await world.popup();
    const article = (await card(popup, contact.name))!;
    const open = async (name: string) => (await article.$(`::-p-aria(${name}[role="button"])`))!.click();

    await open('Add note');
    await article.waitForSelector('form[aria-label="Add a note"]');
    await (await article.$('form[aria-label="Add a note"] input'))!.type('Call recap');
    await (await article.$('form[aria-label="Add a note"] textarea'))!.type('Wants the annual plan.');
    await (await article.$('form[aria-label="Add a note"] button[type=submit]'))!.click();
    await article.waitForSelector('.notice-ok');
    expect(await article.$eval('.notice-ok', (notice) => notice.textContent)).toBe('Note added.');
    expect(state().notesOf(contact.id)[0]).toMatchObject({ subject: 'Call recap', description: 'Wants the annual plan.' });

    await open('Tags');
    await (await article.waitForSelector('form[aria-label="Edit tags"] input'))!.type('vip, renewal-2027');
    await (await article.$('form[aria-label="Edit tags"] button[type=submit]'))!.click();
    await article.waitForSelector('::-p-text(Tags saved)');
    expect(state().contact(contact.id)!.tags).toEqual(expect.arrayContaining(['vip', 'renewal-2027']));
    const editorTags = () => article.$$eval('ul[aria-label="Current tags"] .chip', (chips) => chips.map((chip) => chip.firstChild?.textContent));
    expect(await editorTags()).toContain('vip');
    await (await article.$('::-p-aria(Remove tag vip)'))!.click();
    await popup.waitForFunction((element) => ![...element.querySelectorAll('ul[aria-label="Current tags"] .chip')].some((chip) => chip.firstChild?.textContent === 'vip'), {}, article);
    expect(state().contact(contact.id)!.tags).not.toContain('vip');
    // The removed tag's button is gone; the keyboard stays in the tag editor.
    expect(await popup.evaluate(() => document.activeElement?.closest('form')?.getAttribute('aria-label'))).toBe('Edit tags');
    await open('Tags');
    expect(await article.$$eval('.meta .chip', (chips) => chips.map((chip) => chip.textContent))).toContain('renewal-2027');

    await open('Add task');
    await (await article.waitForSelector('form[aria-label="Add a task"] input'))!.type('Send proposal');
    await (await article.$('form[aria-label="Add a task"] button[type=submit]'))!.click();
    await article.waitForSelector('::-p-text(Task added, due)');
    expect(state().tasksOf(contact.id).some((task) => task.subject === 'Send proposal' && task.type === 'FOLLOW_UP')).toBe(true);
  });
});

describe('what the rep typed and did stays put', () => {
  it('a tag removal that fails is said in words, and does not mark the tags being typed as unsaved', async () => {
    const contact = contactFor(state().seed.demoKnownEmails[1]!);
    const [tag] = state().contact(contact.id)!.tags;
    expect(tag).toBeDefined();
    const popup = await world.popup();
    const article = (await card(popup, contact.name))!;
    await (await article.$('::-p-aria(Tags[role="button"])'))!.click();
    await (await article.waitForSelector('form[aria-label="Edit tags"] input'))!.type('half-typed');
    state().faults.queue.push({ scope: 'api', kind: 'status', status: 503, times: 10 });
    await (await article.$(`::-p-aria(Remove tag ${tag})`))!.click();
    const form = (await article.waitForSelector('form[aria-label="Edit tags"]'))!;
    await popup.waitForFunction((element) => element.querySelector('.notice-error') !== null, { timeout: 20_000 }, form);
    state().faults.queue.length = 0;
    expect(await form.evaluate((element) => element.textContent)).not.toContain('Not saved');
    expect(await form.$eval('input', (input) => (input as HTMLInputElement).value)).toBe('half-typed');
    expect(state().contact(contact.id)!.tags).toContain(tag);
    // Kept as typed, without the removal's error: the form's button adds tags, it would not retry the removal.
    const kept = await (await world.ext.worker()).evaluate(async (key) => (await chrome.storage.session.get(key))[key], `draft:tags:${contact.id}`);
    expect(kept).toMatchObject({ fields: { tags: 'half-typed' }, error: null });
  });

  it('fields filled all at once, before a render (autofill, a script), and submitted at once: every field reaches Agile CRM', async () => {
    const contact = contactFor(state().seed.demoKnownEmails[4]!);
    const popup = await world.popup();
    const article = (await card(popup, contact.name))!;
    await (await article.$('::-p-aria(Add task[role="button"])'))!.click();
    await article.waitForSelector('form[aria-label="Add a task"] input');
    // One task of the page: three input events, then the submit, with no render in between.
    await article.$eval('form[aria-label="Add a task"]', (form) => {
      const [subject, day] = [form.querySelector('input:not([type=date])') as HTMLInputElement, form.querySelector('input[type=date]') as HTMLInputElement];
      const priority = form.querySelectorAll('select')[1] as HTMLSelectElement;
      subject.value = 'Autofilled follow-up';
      subject.dispatchEvent(new Event('input', { bubbles: true }));
      day.value = '2031-05-06';
      day.dispatchEvent(new Event('input', { bubbles: true }));
      priority.value = 'HIGH';
      priority.dispatchEvent(new Event('change', { bubbles: true }));
      (form as HTMLFormElement).requestSubmit();
    });
    await article.waitForSelector('form[aria-label="Add a task"] .notice-ok');
    const task = state().tasksOf(contact.id).find((one) => one.subject === 'Autofilled follow-up');
    expect(task).toMatchObject({ priority_type: 'HIGH' });
    expect(new Date(task!.due * 1000).getFullYear()).toBe(2031);
  });

  it('a half-written note survives opening another panel and coming back', async () => {
    const contact = contactFor(state().seed.demoKnownEmails[3]!);
    const popup = await world.popup();
    const article = (await card(popup, contact.name))!;
    const press = async (name: string) => (await article.$(`::-p-aria(${name}[role="button"])`))!.click();
    await press('Add note');
    await (await article.waitForSelector('form[aria-label="Add a note"] input'))!.type('Half a thought');
    await press('Notes, tasks & deals');
    await article.waitForSelector('.details section');
    expect(await article.$eval('form[aria-label="Add a note"]', (form) => form.closest('[hidden]') !== null)).toBe(true);
    await press('Add note');
    expect(await article.$eval('form[aria-label="Add a note"] input', (input) => (input as HTMLInputElement).value)).toBe('Half a thought');
  });

  it('a tag added to a search result shows on that card', async () => {
    const contact = contactFor(state().seed.demoKnownEmails[0]!);
    const popup = await world.popup();
    await popup.locator('input[type=search]').fill(contact.emails[0]!.value);
    await popup.keyboard.press('Enter');
    const article = (await popup.waitForSelector(`section[aria-label^="Search results"] article.card`))!;
    await (await article.$('::-p-aria(Tags[role="button"])'))!.click();
    await (await article.waitForSelector('form[aria-label="Edit tags"] input'))!.type('from-search');
    await (await article.$('form[aria-label="Edit tags"] button[type=submit]'))!.click();
    await popup.waitForFunction((element) => [...element.querySelectorAll('ul[aria-label="Current tags"] .chip')].some((chip) => chip.firstChild?.textContent === 'from-search'), {}, article);
    await popup.locator('::-p-aria(← People on this page (7))').click();
    const onPage = (await card(popup, contact.name))!;
    expect(await onPage.$$eval('.meta .chip', (chips) => chips.map((chip) => chip.textContent))).toContain('from-search');
  });
});

describe('other ways in', () => {

  it('context menu on a mailto: link → the popup on that one address', async () => {
    const email = state().seed.demoKnownEmails[3]!;
    const popup = await popupFromMenu(world, { menuItemId: 'lookup-link', linkUrl: `mailto:${email}?subject=Hi` });
    expect(await cardNames(popup)).toEqual([contactFor(email).name]);
  });

  it('context menu on selected words → the popup searching for them', async () => {
    const contact = contactFor(state().seed.demoKnownEmails[1]!);
    const popup = await popupFromMenu(world, { menuItemId: 'lookup-selection', selectionText: `  ${contact.name}\n` });
    await popup.waitForSelector(`section[aria-label="Search results for ${contact.name}"] article.card`);
    expect(await popup.$eval('input[type=search]', (input) => (input as HTMLInputElement).value)).toBe(contact.name);
  });

  it('is usable from the keyboard alone, with names and roles in the accessibility tree', async () => {
    const popup = await world.popup();
    await cardNames(popup);
    expect(await popup.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('search');
    await popup.keyboard.type('pinecrest');
    await popup.keyboard.press('Enter');
    await popup.waitForSelector('section[aria-label="Search results for pinecrest"] article.card');
    const focusable: string[] = [];
    for (let i = 0; i < 8; i++) {
      await popup.keyboard.press('Tab');
      focusable.push(await popup.evaluate(() => document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent?.trim() || ''));
    }
    expect(focusable).toEqual(expect.arrayContaining(['Search', expect.stringMatching(/^Open .+ in Agile CRM \(new tab\)$/)]));
    const tree = await popup.accessibility.snapshot({ interestingOnly: true });
    const flat: { role: string; name: string }[] = [];
    const walk = (node: { role: string; name?: string; children?: unknown[] } | null) => {
      if (!node) return;
      flat.push({ role: node.role, name: node.name ?? '' });
      for (const child of node.children ?? []) walk(child as typeof node);
    };
    walk(tree as never);
    expect(flat).toContainEqual({ role: 'searchbox', name: 'Search Agile CRM by name, company or email' });
    expect(flat.filter((node) => node.role === 'heading').length).toBeGreaterThan(1);
    expect(flat).toContainEqual({ role: 'button', name: 'Add note' });
    expect(flat.filter((node) => node.role === 'button' && !node.name)).toEqual([]);
    expect(flat.filter((node) => node.role === 'link' && !node.name)).toEqual([]);
  });

  it('options page: validates the relay address, saves the domain, clears the cache, signs out', async () => {
    const page = await world.ext.browser.newPage();
    await page.goto(`chrome-extension://${world.ext.extensionId}/${world.ext.optionsPath}`);
    await page.waitForSelector('#relayUrl');
    expect(await page.$eval('#relayUrl', (input) => (input as HTMLInputElement).value)).toBe(world.stack.relay.url);
    await page.$eval('#relayUrl', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('#relayUrl', 'http://relay.example.com');
    await page.click('button[type=submit]');
    await page.waitForSelector('.notice-error');
    expect(await text(page, '.notice-error')).toMatch(/must start with https:\/\//);
    const stored = JSON.parse(await dumpStorage(world.ext)).local.settings;
    expect(stored.relayUrl).toBe(world.stack.relay.url);

    await page.$eval('#relayUrl', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('#relayUrl', world.stack.relay.url);
    await page.$eval('#agile', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('#agile', 'evil.com#');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => document.querySelector('.notice-error')?.textContent?.includes('only letters, digits and hyphens'));
    await page.$eval('#agile', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('#agile', world.stack.sandbox.url);
    await page.click('button[type=submit]');
    await page.waitForSelector('.notice-ok');

    expect(await dumpStorage(world.ext)).toMatch(/"contact:/);
    await page.locator('button ::-p-text(Clear cached contacts)').click();
    await page.waitForFunction(() => document.querySelector('.notice-ok')?.textContent === 'Cached contacts cleared.');
    expect(await dumpStorage(world.ext)).not.toMatch(/"contact:/);
    await page.close();
  });
});

describe('looks', () => {
  it('renders hostile CRM data as inert text, and the layout holds at 400 px', async () => {
    const popup = await openPopup(world.ext, `${world.stack.sandbox.url}/demo/hostile`);
    await popup.waitForFunction(() => document.querySelectorAll('article.card').length === 2, { timeout: 15_000 });
    expect(await popup.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await popup.$$('article script, article img:not(.avatar), article svg, article b')).toHaveLength(0);
    const hrefs = await popup.$$eval('a', (links) => links.map((link) => link.getAttribute('href') ?? ''));
    expect(hrefs.filter((href) => /^(javascript|data):/i.test(href))).toEqual([]);
    expect(await popup.$$eval('article .name', (names) => names.map((name) => name.textContent))).toContainEqual(expect.stringContaining('<img src=x onerror='));
    const layout = () => popup.evaluate(() => ({
      horizontalScroll: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      body: document.body.getBoundingClientRect().right,
      widest: Math.max(...[...document.querySelectorAll('article.card, article.card *')].map((element) => element.getBoundingClientRect().right)),
    }));
    const before = await layout();
    expect(before.horizontalScroll).toBeLessThanOrEqual(0);
    expect(before.body).toBeLessThanOrEqual(400);
    expect(before.widest).toBeLessThanOrEqual(before.body);
    const article = (await popup.$('article.card'))!;
    await (await article.$('button[aria-expanded]'))!.click();
    await article.waitForSelector('.details section');
    expect(await popup.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    const after = await layout();
    expect(after.horizontalScroll).toBeLessThanOrEqual(0);
    expect(after.widest).toBeLessThanOrEqual(after.body);
  });

  it('follows the system’s dark theme', async () => {
    const popup = await world.popup();
    await popup.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
    const light = await popup.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await popup.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    const dark = await popup.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(light).toBe('rgb(255, 255, 255)');
    expect(dark).toBe('rgb(13, 17, 23)');
  });
});
