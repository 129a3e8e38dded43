import { describe, expect, it } from 'vitest';
import { parseDeals, parseNotes, parseTasks } from '../../src/background/agile-records';
import { companyFromEmail, initials, label, money, relativeTime, safeHttpUrl, splitName, telUrl, websiteLabel } from '../../src/popup/format';
import { withEdits } from '../../src/popup/lookup-edits';
import { parseContact } from '../../src/shared/contact';
import type { LookupResult } from '../../src/shared/messages';

describe('what the popup shows', () => {
  it('says how long ago, in words', () => {
    const now = 1_800_000_000_000;
    expect(relativeTime(now - 10_000, now)).toBe('just now');
    expect(relativeTime(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(relativeTime(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(relativeTime(now - 26 * 3_600_000, now)).toBe('1 day ago');
    expect(relativeTime(now + 60_000, now)).toBe('just now');
  });

  it('links only to http(s) pages and dialable numbers', () => {
    expect(safeHttpUrl('https://linkedin.com/in/x')).toBe('https://linkedin.com/in/x');
    expect(safeHttpUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('data:text/html,<b>x</b>')).toBeNull();
    expect(safeHttpUrl('not a url')).toBeNull();
    expect(safeHttpUrl('skype:ada.lovelace?call')).toBeNull();
    expect(telUrl('+1 (555) 010-0100')).toBe('tel:+15550100100');
    expect(telUrl('javascript:alert(1)')).toBeNull();
  });

  it('a host written without a scheme becomes an https: link, never any other scheme', () => {
    expect(safeHttpUrl('www.example.mx')).toBe('https://www.example.mx/');
    expect(safeHttpUrl(' example.mx/equipo?x=1 ')).toBe('https://example.mx/equipo?x=1');
    expect(safeHttpUrl('example.com:8080/a')).toBe('https://example.com:8080/a');
    expect(safeHttpUrl('//www.example.mx')).toBe('https://www.example.mx/');
    expect(safeHttpUrl('münchen.example')).toBe('https://xn--mnchen-3ya.example/');
    expect(safeHttpUrl('ada.lovelace', false)).toBeNull();
    for (const value of ['javascript:1', '@ada', 'user@www.example.mx', 'www.exa mple.mx', 'live:ada.lovelace', 'ftp://example.com', 'localhost']) {
      expect(safeHttpUrl(value), value).toBeNull();
    }
  });

  it('labels websites the way their owners write them; Agile’s URL is the website', () => {
    expect(websiteLabel('URL')).toBe('Website');
    expect(websiteLabel('')).toBe('Website');
    expect(websiteLabel('LINKEDIN')).toBe('LinkedIn');
    expect(websiteLabel('GOOGLE_PLUS')).toBe('Google+');
    expect(websiteLabel('MASTODON')).toBe('Mastodon');
  });

  it('keeps a deal’s decimals, with the currency where Agile gives one', () => {
    expect(money(120000.5, null, 'en-US')).toBe('120,000.50');
    expect(money(120000, null, 'en-US')).toBe('120,000');
    expect(money(120000.5, 'USD', 'en-US')).toBe('$120,000.50');
    expect(money(1e12, 'MXN', 'en-US')).toBe('MX$1,000,000,000,000');
    expect(money(0.5, 'EUR', 'de-DE')).toBe('0,50\u00a0€');
    expect(money(99.99, 'ZZZ', 'en-US')).toMatch(/^ZZZ\s99\.99$/);
  });

  it('reads the currency from a deal’s prefs, as Agile documents it, and tolerates its absence', () => {
    const deals = parseDeals([
      { id: 1, name: 'A', expected_value: 120000.5, prefs: { id: 984, currency: 'USD', template: 'blue' } },
      { id: 2, name: 'B', expected_value: '120000.50', Prefs: { currency: 'EUR-€' } },
      { id: 3, name: 'C', expected_value: 5, prefs: { currency: 'dollars' } },
      { id: 4, name: 'D', expected_value: 5, prefs: 'nonsense' },
      { id: 5, name: 'E', expected_value: 'abc' },
    ]);
    expect(deals.map((deal) => [deal.id, deal.value, deal.currency])).toEqual([['1', 120000.5, 'USD'], ['2', 120000.5, 'EUR'], ['3', 5, null], ['4', 5, null], ['5', null, null]]);
  });

  it('a deal field in an odd shape is left out, never the deal; a blank amount is no amount, not 0', () => {
    const deals = parseDeals([
      { id: 6, name: 2024, expected_value: '', probability: '50', milestone: 3, close_date: '' },
      { id: 7, name: 'G', expected_value: '  ', probability: 'high', close_date: '1767225600' },
    ]);
    expect(deals).toEqual([
      { id: '6', name: '2024', value: null, currency: null, milestone: '3', probability: 50, closeDate: null },
      { id: '7', name: 'G', value: null, currency: null, milestone: '', probability: null, closeDate: 1767225600 },
    ]);
    expect(parseNotes([{ id: 8, created_time: '', subject: 7, description: null }])).toEqual([{ id: '8', createdTime: null, subject: '7', description: '' }]);
    expect(parseTasks([{ id: 9, subject: 'Call', type: null, is_complete: 'yes', due: 'soon' }]))
      .toEqual([{ id: '9', subject: 'Call', type: 'OTHER', priority: 'NORMAL', due: null, complete: false }]);
  });

  it('derives initials, labels and form defaults', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('  ')).toBe('?');
    expect(initials('Élodie de la Cruz')).toBe('ÉD');
    expect(label('FOLLOW_UP')).toBe('Follow up');
    expect(splitName('Jordan Van Rivers')).toEqual({ firstName: 'Jordan', lastName: 'Van Rivers' });
    expect(companyFromEmail('pat@brightwave.example')).toBe('Brightwave');
    expect(companyFromEmail('pat@gmail.com')).toBe('');
  });
});

describe('withEdits', () => {
  const contact = (id: string, email: string, tags: string[] = []) =>
    parseContact({ id, tags, properties: [{ name: 'email', value: email }, { name: 'first_name', value: id }] });
  const lookup: LookupResult = {
    found: [contact('1', 'a@x.example')],
    missing: [{ email: 'B@x.example', name: 'B' }],
    pending: [],
    unusable: [],
    updatedAt: 1,
    webBase: 'https://demo.agilecrm.com',
    source: 'agile',
  };

  it('keeps the rep’s edits when an answer that started before them lands', () => {
    const tagged = contact('1', 'a@x.example', ['vip']);
    const added = contact('2', 'b@x.example');
    const result = withEdits(lookup, [tagged, added]);
    expect(result.found.map((item) => [item.id, item.tags])).toEqual([['1', ['vip']], ['2', []]]);
    expect(result.missing).toEqual([]);
  });
});
