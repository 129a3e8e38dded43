import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../src/scanner/collect';
import { mailtoRecipients } from '../../src/scanner/mailto';
import { findPeople, isPersonAddress } from '../../src/scanner/people';

const text = (value: string, source: Candidate['source'] = 'text', name = ''): Candidate => ({ text: value, name, source });
const emailsIn = (...candidates: Candidate[]) => findPeople(candidates).emails.map((person) => person.email);

describe('addresses in running text', () => {
  it('finds addresses as written, without surrounding punctuation', () => {
    expect(emailsIn(text('Write to Ada.Lovelace@Example.com, or bob@sub.example.co.uk. Not a@b or @x.com.')))
      .toEqual(['Ada.Lovelace@Example.com', 'bob@sub.example.co.uk']);
  });

  it('keeps plus addressing and hyphenated domains', () => {
    expect(emailsIn(text('sofia.yilmaz+crm@redwood-cap.example'))).toEqual(['sofia.yilmaz+crm@redwood-cap.example']);
  });

  it('an apostrophe is part of the address; a match never starts mid-word', () => {
    expect(emailsIn(text("Cc: sean.o'connor@example.com"))).toEqual(["sean.o'connor@example.com"]);
    expect(emailsIn(text('Cc: sean.o’connor@example.com, the R&D@example.com list'))).toEqual([]);
    expect(emailsIn(text("Cc: d'angelo@example.com and 'quoted@example.com'"))).toEqual(["d'angelo@example.com", 'quoted@example.com']);
  });

  it('reads through the invisible line-break and hyphenation hints pages put inside words; never cuts at a joiner', () => {
    expect(emailsIn(text('Write to ada.love\u00adlace@exam\u00adple.com or bob@example.co\u200bm.'))).toEqual(['ada.lovelace@example.com', 'bob@example.com']);
    expect(emailsIn(text('us\u200der@example.com, ada@exam\u200cple.com'))).toEqual([]);
  });

  it('a local part of 70 characters is no address at all, never its last 64', () => {
    const local = `${'n'.repeat(6)}${'x'.repeat(64)}`;
    expect(emailsIn(text(`From: ${local}@example.com`))).toEqual([]);
    expect(emailsIn(text(`From: ${local.slice(6)}@example.com`))).toEqual([`${local.slice(6)}@example.com`]);
  });

  it('internationalized addresses are found whole, as written: Unicode local parts, IDN domains in Unicode and in punycode', () => {
    expect(emailsIn(text('info@xn--mnchen-3ya.example, Jürgen.Weiß@münchen.example, josé@correo.example, 用户@例子.广告')))
      .toEqual(['info@xn--mnchen-3ya.example', 'Jürgen.Weiß@münchen.example', 'josé@correo.example', '用户@例子.广告']);
  });

  it('de-duplicates by case-folded key, keeping the first form seen', () => {
    expect(findPeople([text('Ada Lovelace <ADA@example.com> wrote to bob@example.com and ada@example.com')]).emails)
      .toEqual([{ email: 'ADA@example.com', name: 'Ada Lovelace' }, { email: 'bob@example.com', name: '' }]);
  });
});

describe('names', () => {
  it('reads the display name before <address> or (address), quoted or not', () => {
    expect(findPeople([text('From: "Lovelace, Ada" <ada@example.com>\nTo: Bob Builder (bob@example.com), carol@example.com')]).emails).toEqual([
      { email: 'ada@example.com', name: 'Lovelace, Ada' },
      { email: 'bob@example.com', name: 'Bob Builder' },
      { email: 'carol@example.com', name: '' },
    ]);
  });

  it('takes no name from a long run of prose, nor a cut of it', () => {
    const prose = `${'word '.repeat(30)}<ada@example.com>`;
    expect(findPeople([text(prose)]).emails).toEqual([{ email: 'ada@example.com', name: '' }]);
  });
});

describe('obfuscated addresses, conservatively', () => {
  it.each([
    ['ada [at] example [dot] com', 'ada@example.com'],
    ['ada(at)example.com', 'ada@example.com'],
    ['Ada Lovelace (ada {AT} example {dot} co {dot} uk)', 'ada@example.co.uk'],
    ['ada.lovelace[at]example[dot]com', 'ada.lovelace@example.com'],
    ['ada [dot] lovelace [at] example [dot] com', 'ada.lovelace@example.com'],
    ['info ( at ) münchen ( dot ) example', 'info@münchen.example'],
  ])('%s → %s', (input, expected) => {
    expect(emailsIn(text(`Contact: ${input}`))).toEqual([expected]);
  });

  it.each([
    ['ada@example[dot]com', 'ada@example.com'],
    ['ada.lovelace@example (dot) co (dot) uk', 'ada.lovelace@example.co.uk'],
    ['ada [dot] lovelace@example.com', 'ada.lovelace@example.com'],
    ['ada@example.co [dot] uk', 'ada@example.co.uk'],
  ])('only the dot hidden: %s → %s, whole, never a cut of it', (input, expected) => {
    expect(emailsIn(text(`Contact: ${input}.`))).toEqual([expected]);
  });

  it('obfuscated and plain addresses together, in page order', () => {
    expect(emailsIn(text('a@example.com, ada [at] example [dot] com, bob@example[dot]org and c@example.com')))
      .toEqual(['a@example.com', 'ada@example.com', 'bob@example.org', 'c@example.com']);
    expect(emailsIn(text('Mail me (at) ada@example.com'))).toEqual(['ada@example.com']);
  });

  it('keeps the name beside an obfuscated address', () => {
    expect(findPeople([text('Ada Lovelace (ada [at] example [dot] com)')]).emails).toEqual([{ email: 'ada@example.com', name: 'Ada Lovelace' }]);
    expect(findPeople([text('Ada Lovelace <ada [at] example [dot] com>')]).emails).toEqual([{ email: 'ada@example.com', name: 'Ada Lovelace' }]);
  });

  it.each([
    'Meet me at the office at 5 (at the latest), then dot the i’s.',
    'Shares of AT&T (NYSE: T) rose; the dot-com era (1995–2000) is long over.',
    'The [at] sign and the (dot) separator are how some people hide addresses.',
    'ada at example dot com is how she writes it, and so does bob at example dot org.',
    'Dinner (at) Joe’s (dot) place, then drinks [at] 9.30.',
    'The price is 5 (at) 2.50 each, see item (dot) 3.',
    'She looked [at] him. Then (at) me. Then {at} the clock.',
    'Prices: 3 @ 4.99 and 10 @ 39.00; email support at our site.',
    'Follow @ada on social media, or #team@2x.',
    'Anchors: [at] [dot] (at) (dot) {at}{dot}',
  ])('finds nothing in ordinary prose: %s', (prose) => {
    expect(emailsIn(text(prose))).toEqual([]);
  });
});

describe('mailto: links (RFC 6068)', () => {
  it('every recipient: several before ?, and to=, cc=, bcc= in the query', () => {
    expect(mailtoRecipients('mailto:a@example.com,b@example.com?subject=Hi%20there&cc=c@example.com,d@example.com&BCC=e%40example.com&to=f@example.com&body=g@example.com'))
      .toEqual(['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'e@example.com', 'f@example.com']);
  });

  it('decodes each field on its own, keeps what a malformed escape is next to, and ignores other fields', () => {
    expect(mailtoRecipients('MAILTO:?to=j%C3%BCrgen%40m%C3%BCnchen.example&subject=%E0%A4%A&cc=ok@example.com')).toEqual(['jürgen@münchen.example', 'ok@example.com']);
    expect(mailtoRecipients('mailto:ada%ZZ@example.com,bob@example.com?body=a%26cc%3Deve@example.com')).toEqual(['ada%ZZ@example.com', 'bob@example.com']);
    expect(mailtoRecipients('mailto:%22Ada%22%20%3Cada@example.com%3E')).toEqual(['ada@example.com']);
    expect(mailtoRecipients('https://example.com/?to=a@example.com')).toEqual([]);
  });

  it('a link with one recipient gives it the link’s text as a name; with several, nobody', () => {
    expect(findPeople([text('mailto:a@example.com', 'mailto', 'Ada')]).emails).toEqual([{ email: 'a@example.com', name: 'Ada' }]);
    expect(findPeople([text('mailto:a@example.com?cc=b@example.com', 'mailto', 'Team')]).emails)
      .toEqual([{ email: 'a@example.com', name: '' }, { email: 'b@example.com', name: '' }]);
  });
});

describe('isPersonAddress', () => {
  it.each(['noreply@billing.example', 'No-Reply@x.com', 'donotreply@x.com', 'do-not-reply@x.com', 'mailer-daemon@x.com',
    'logo@2x.png', 'icon@3x.webp', 'sprite@1.5x.jpg', 'notifications@github.com', 'bounce+abc@mail.x.com', '12345@x.com'])('drops %s', (address) => {
    expect(isPersonAddress(address)).toBe(false);
  });
  it.each(['ada@example.com', 'reply.all@x.com', 'noreen@x.com', 'support@vendor.example'])('keeps %s', (address) => {
    expect(isPersonAddress(address)).toBe(true);
  });
});

describe('findPeople', () => {
  it('prefers names the page gives, and orders selection, marked-up people, links, fields, then text', () => {
    const people = findPeople([
      text('Ada Lovelace <ADA@example.com> wrote to bob@example.com and ada@example.com'),
      text('dan@example.com', 'field'),
      text('mailto:bob@example.com', 'mailto', 'Bob Builder'),
      text('carol@example.com', 'attribute', 'Carol King'),
    ]);
    expect(people).toEqual({
      emails: [
        { email: 'carol@example.com', name: 'Carol King' },
        { email: 'bob@example.com', name: 'Bob Builder' },
        { email: 'dan@example.com', name: '' },
        { email: 'ADA@example.com', name: 'Ada Lovelace' },
      ],
      more: 0,
    });
  });

  it('puts the selection first', () => {
    expect(emailsIn(text('a@example.com b@example.com'), text('b@example.com', 'selection'))).toEqual(['b@example.com', 'a@example.com']);
  });

  it('keeps at most the limit and counts the rest', () => {
    const many = Array.from({ length: 230 }, (_, i) => `person${i}@example.com`).join(' ');
    const people = findPeople([text(many)]);
    expect(people.emails).toHaveLength(200);
    expect(people.more).toBe(30);
    expect(people.emails[0]!.email).toBe('person0@example.com');
  });

  it('ignores machine senders and asset names', () => {
    expect(findPeople([text('Sent by noreply@shop.example <img src="logo@2x.png"> to pat@example.com')]).emails).toEqual([{ email: 'pat@example.com', name: '' }]);
  });

  it('does not give one name to several addresses in one attribute', () => {
    expect(findPeople([text('a@example.com, b@example.com', 'attribute', 'Team')]).emails)
      .toEqual([{ email: 'a@example.com', name: '' }, { email: 'b@example.com', name: '' }]);
  });

  it('a known address after 14 kB (or 1.9 MB) of page text is found', () => {
    for (const size of [14_000, 1_900_000]) {
      expect(emailsIn(text(`${'Lorem ipsum dolor sit amet. '.repeat(size / 28)}Reach me at ada@example.com`))).toEqual(['ada@example.com']);
    }
  });
});
