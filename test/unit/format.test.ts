import { describe, expect, it } from 'vitest';
import { companyFromEmail, initials, label, relativeTime, safeHttpUrl, splitName, telUrl } from '../../src/popup/format';
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
    expect(telUrl('+1 (555) 010-0100')).toBe('tel:+15550100100');
    expect(telUrl('javascript:alert(1)')).toBeNull();
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
    missing: [{ email: 'b@x.example', name: 'B' }],
    pending: [],
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
