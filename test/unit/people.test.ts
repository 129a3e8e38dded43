import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../src/scanner/collect';
import { extractEmails, findPeople, isPersonAddress } from '../../src/scanner/people';

const text = (value: string, source: Candidate['source'] = 'text', name = ''): Candidate => ({ text: value, name, source });

describe('extractEmails', () => {
  it('finds addresses in running text, lower-cased, without trailing punctuation', () => {
    expect(extractEmails('Write to Ada.Lovelace@Example.com, or bob@sub.example.co.uk. Not a@b or @x.com.'))
      .toEqual(['ada.lovelace@example.com', 'bob@sub.example.co.uk']);
  });
  it('keeps plus addressing and hyphenated domains', () => {
    expect(extractEmails('sofia.yilmaz+crm@redwood-cap.example')).toEqual(['sofia.yilmaz+crm@redwood-cap.example']);
  });
});

describe('isPersonAddress', () => {
  it.each(['noreply@billing.example', 'no-reply@x.com', 'donotreply@x.com', 'do-not-reply@x.com', 'mailer-daemon@x.com',
    'logo@2x.png', 'icon@3x.webp', 'sprite@1.5x.jpg', 'notifications@github.com', 'bounce+abc@mail.x.com', '12345@x.com'])('drops %s', (address) => {
    expect(isPersonAddress(address)).toBe(false);
  });
  it.each(['ada@example.com', 'reply.all@x.com', 'noreen@x.com', 'support@vendor.example'])('keeps %s', (address) => {
    expect(isPersonAddress(address)).toBe(true);
  });
});

describe('findPeople', () => {
  it('de-duplicates case-insensitively and prefers names the page gives', () => {
    const people = findPeople([
      text('Ada Lovelace <ADA@example.com> wrote to bob@example.com and ada@example.com'),
      text('bob@example.com', 'mailto', 'Bob Builder'),
      text('carol@example.com', 'attribute', 'Carol King'),
    ]);
    expect(people).toEqual({
      emails: [
        { email: 'carol@example.com', name: 'Carol King' },
        { email: 'bob@example.com', name: 'Bob Builder' },
        { email: 'ada@example.com', name: 'Ada Lovelace' },
      ],
      more: 0,
    });
  });

  it('puts the selection first', () => {
    const people = findPeople([text('a@example.com b@example.com'), text('b@example.com', 'selection')]);
    expect(people.emails.map((person) => person.email)).toEqual(['b@example.com', 'a@example.com']);
  });

  it('keeps at most the limit and counts the rest', () => {
    const many = Array.from({ length: 230 }, (_, i) => `person${i}@example.com`).join(' ');
    const people = findPeople([text(many)]);
    expect(people.emails).toHaveLength(200);
    expect(people.more).toBe(30);
    expect(people.emails[0]!.email).toBe('person0@example.com');
  });

  it('ignores machine senders and asset names', () => {
    const people = findPeople([text('Sent by noreply@shop.example <img src="logo@2x.png"> to pat@example.com')]);
    expect(people.emails).toEqual([{ email: 'pat@example.com', name: '' }]);
  });

  it('does not give one name to several addresses in one attribute', () => {
    const people = findPeople([text('a@example.com, b@example.com', 'attribute', 'Team')]);
    expect(people.emails).toEqual([{ email: 'a@example.com', name: '' }, { email: 'b@example.com', name: '' }]);
  });
});
