/**
 * The one definition of an address (src/shared/email.ts): what it accepts whole, what the scanner finds in running
 * text, that a find is never a cut, and that every find passes the worker's schema.
 */
import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { emailKey, findAddresses, isEmailAddress, withoutBreakHints } from '../../src/shared/email';
import { EmailAddress, parseRequest } from '../../src/shared/messages';
import { findPeople, isPersonAddress } from '../../src/scanner/people';

const found = (text: string) => findAddresses(text).map((match) => match.address);

describe('isEmailAddress', () => {
  it.each([
    'ada@example.com', "sean.o'connor@example.com", 'sofia+crm@redwood-cap.example', 'a!#$%&*/=?^_`{|}~-@example.com',
    'info@xn--mnchen-3ya.example', 'jürgen.weiß@münchen.example', '用户@例子.广告', 'δοκιμή@παράδειγμα.δοκιμή',
    'x@xn--mnchen-3ya.xn--p1ai', `${'a'.repeat(64)}@example.com`, `a@${'b'.repeat(63)}.com`,
  ])('accepts %s', (address) => {
    expect(isEmailAddress(address)).toBe(true);
    expect(v.is(EmailAddress, address)).toBe(true);
  });

  it.each([
    ['a quoted local part', '"ada lovelace"@example.com'],
    ['an address literal', 'ada@[192.0.2.1]'],
    ['a dotless domain', 'ada@localhost'],
    ['a comment', 'ada(work)@example.com'],
    ['a display name', 'Ada <ada@example.com>'],
    ['two @', 'a@b@example.com'],
    ['a leading dot', '.ada@example.com'],
    ['a trailing dot', 'ada.@example.com'],
    ['consecutive dots', 'ada..lovelace@example.com'],
    ['a 65-octet local part', `${'a'.repeat(65)}@example.com`],
    ['a 64-octet local part in two-octet letters, 33 of them', `${'é'.repeat(33)}@example.com`],
    ['a 64-octet label', `a@${'b'.repeat(64)}.com`],
    ['a 255-octet address', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`],
    ['a hyphen at a label edge', 'a@-example.com'],
    ['a numeric top-level label', 'a@example.123'],
    ['a one-letter top-level label', 'a@example.c'],
    ['a space', 'ada lovelace@example.com'],
    ['a non-ASCII space', 'ada\u00a0x@example.com'],
    ['nothing before @', '@example.com'],
  ])('refuses %s', (_, address) => {
    expect(isEmailAddress(address)).toBe(false);
    expect(v.is(EmailAddress, address)).toBe(false);
  });

  it('counts limits in UTF-8 octets', () => {
    expect(isEmailAddress(`${'é'.repeat(32)}@example.com`)).toBe(true);
    expect(isEmailAddress(`${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`)).toBe(true);
  });

  it('keys fold case and nothing else', () => {
    expect(emailKey('Ada.Lovelace@Example.COM')).toBe('ada.lovelace@example.com');
    expect(emailKey('Jürgen@MÜNCHEN.example')).toBe('jürgen@münchen.example');
    expect(emailKey('info@xn--mnchen-3ya.example')).not.toBe(emailKey('info@münchen.example'));
  });
});

describe('findAddresses: whole addresses only', () => {
  it('keeps an apostrophe in a local part, and never starts mid-word', () => {
    expect(found("Write to sean.o'connor@example.com today")).toEqual(["sean.o'connor@example.com"]);
    expect(found('Write to sean.o’connor@example.com today')).toEqual([]);
    expect(found('R&D@example.com')).toEqual([]);
  });

  it('an invisible in-word character (soft hyphen, zero-width space or joiner) never leaves a cut of the address', () => {
    expect(found('us\u00ader@example.com')).toEqual([]);
    expect(found('ada@example.co\u200bm')).toEqual([]);
    expect(found('ada.\u200dlovelace@example.com')).toEqual([]);
    expect(found('ada@exam\u200cple.com')).toEqual([]);
    // Beside punctuation or space it is no part of a word: the address stands alone.
    expect(found('Mail:\u200bada@example.com\u2060, or ada@example.com’s inbox')).toEqual(['ada@example.com', 'ada@example.com']);
    expect(withoutBreakHints('ada.love\u00adlace@exam\u200bple.co\u2060m\ufeff')).toBe('ada.lovelace@example.com');
  });

  it('a run of local-part characters longer than 64 octets is no address, not its last 64', () => {
    const local = 'a'.repeat(70);
    expect(found(`${local}@example.com`)).toEqual([]);
    expect(found(`x ${'b'.repeat(64)}@example.com y`)).toEqual([`${'b'.repeat(64)}@example.com`]);
    expect(found(`${'é'.repeat(40)}@example.com`)).toEqual([]);
  });

  it('a domain run that is too long or not a domain is no address, not a shorter one', () => {
    expect(found(`a@${'b'.repeat(64)}.com`)).toEqual([]);
    expect(found('ada@example.com-next')).toEqual([]);
    expect(found('ada@example.com_2')).toEqual([]);
    expect(found('a@b@example.com and ada@example.com@')).toEqual([]);
  });

  it('punctuation around an address is not part of it', () => {
    expect(found("'ada@example.com', (bob@example.com); <carol@example.com>. ...dan@example.com! id=eve@example.com"))
      .toEqual(['ada@example.com', 'bob@example.com', 'carol@example.com', 'dan@example.com', 'eve@example.com']);
    expect(found('Mail ada@example.com. Or ada@example.co.uk.')).toEqual(['ada@example.com', 'ada@example.co.uk']);
    expect(found('ada@example.com’s inbox')).toEqual(['ada@example.com']);
  });

  it('finds internationalized addresses whole, as written', () => {
    expect(found('Grüße an jürgen.weiß@münchen.example, info@xn--mnchen-3ya.example und 用户@例子.广告.'))
      .toEqual(['jürgen.weiß@münchen.example', 'info@xn--mnchen-3ya.example', '用户@例子.广告']);
    expect(found('Ada.Lovelace@Example.COM')).toEqual(['Ada.Lovelace@Example.COM']);
    expect(found('𝒶𝒹𝒶@example.com')).toEqual(['𝒶𝒹𝒶@example.com']);
  });

  it('refuses what the definition refuses, even inside text', () => {
    expect(found('"ada lovelace"@example.com ada@[192.0.2.1] ada@localhost logo@2x')).toEqual([]);
  });

  it('reads a hostile page in linear time: six 10 kB titles of ab< and 9,997 @, and megabyte runs', () => {
    const hostile = `ab<${'@'.repeat(9_997)}`;
    for (const text of [Array(6).fill(hostile).join(' '), `ab<${'@'.repeat(200_000)}`, 'a'.repeat(2_000_000), `${'a.'.repeat(500_000)}@`, `a@${'b-'.repeat(500_000)}`,
      'x@'.repeat(500_000), `a@${'b.'.repeat(500_000)}c`, `${"a'".repeat(500_000)}@b.com`, `${'@a'.repeat(500_000)}.com`]) {
      const started = performance.now();
      findAddresses(text);
      findPeople([{ text, name: '', source: 'text' }, { text, name: '', source: 'attribute' }]);
      expect(performance.now() - started, text.slice(0, 20)).toBeLessThan(1_000);
    }
  });
});

// ── properties ──────────────────────────────────────────────────────────────────────────────────────────────────
const LOCAL_CHARS = [...'abcxyzABC019._%+-\'', 'é', 'ß', '用', 'δ'];
const atom = fc.array(fc.constantFrom(...LOCAL_CHARS.filter((char) => char !== '.')), { minLength: 1, maxLength: 8 }).map((chars) => chars.join(''));
const label = fc.array(fc.constantFrom(...'abcxyz019', 'ü', 'ö', '例'), { minLength: 1, maxLength: 10 }).map((chars) => chars.join(''));
const topLabel = fc.oneof(fc.constantFrom('com', 'example', 'co', 'xn--p1ai', '广告', 'δοκιμή'));
/** Addresses the text scanner should find whole: text-local characters, no leading apostrophe. */
const address = fc.tuple(fc.array(atom, { minLength: 1, maxLength: 3 }), fc.array(label, { minLength: 1, maxLength: 3 }), topLabel)
  .map(([atoms, labels, top]) => `${atoms.join('.')}@${[...labels, top].join('.')}`)
  .filter((candidate) => isEmailAddress(candidate) && !candidate.startsWith("'"));
const separator = fc.constantFrom(' ', ', ', '; ', ' <', '> ', '\n', ' (', ') ', '\t', ': ', ' “', '” ');
const noise = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.array(fc.constantFrom(...'ab.@-_\'’&=/<>( )x1é'), { maxLength: 16 }).map((chars) => chars.join('')),
  address,
);
const WORDISH = /[\p{L}\p{N}\p{M}]/u;
/**
 * An address written only with what running text allows in one: word characters at both ends, `. _ % + - '` inside
 * the local part. (`id=ada@…` holds `=`, which is atext but punctuation in prose.)
 */
const TEXT_ADDRESS = /^[\p{L}\p{N}\p{M}][\p{L}\p{N}\p{M}._%+'-]*@[\p{L}\p{N}\p{M}.-]*[\p{L}\p{N}\p{M}]$/u;

describe('properties of the scan', () => {
  it('an address between separators is found whole', () => {
    fc.assert(fc.property(fc.array(fc.tuple(address, separator)), fc.string({ maxLength: 5 }), (parts, tail) => {
      const text = `${parts.map(([email, sep]) => `${email}${sep}`).join('')} ${tail}`;
      const addresses = found(text);
      for (const [email] of parts) expect(addresses).toContain(email);
    }), { numRuns: 1_000 });
  });

  it('no address found is a proper part of a longer address in the input', () => {
    fc.assert(fc.property(fc.array(noise, { maxLength: 12 }), (parts) => {
      const text = parts.join('');
      for (const match of findAddresses(text)) {
        for (let start = Math.max(0, match.start - 80); start <= match.start; start++) {
          for (let end = match.end; end <= Math.min(text.length, match.end + 80); end++) {
            if (start === match.start && end === match.end) continue;
            const longer = text.slice(start, end);
            expect(TEXT_ADDRESS.test(longer) && isEmailAddress(longer), `${match.address} inside ${longer}`).toBe(false);
          }
        }
        expect(WORDISH.test(text[match.start - 1] ?? '')).toBe(false);
      }
    }), { numRuns: 500 });
  });

  it('an invisible in-word character inside an address: no cut of it is found, and the scanner reads line-break hints through', () => {
    const mark = fc.constantFrom('\u00ad', '\u200b', '\u2060', '\ufeff', '\u200c', '\u200d');
    fc.assert(fc.property(address, fc.nat(), mark, separator, (email, at, invisible, sep) => {
      const index = 1 + (at % (email.length - 1));
      const text = `x${sep}${email.slice(0, index)}${invisible}${email.slice(index)}${sep}y`;
      for (const match of findAddresses(text)) expect(email.includes(match.address), `${match.address} cut from ${email}`).toBe(false);
      const people = findPeople([{ text, name: '', source: 'text' }]).emails.map((person) => person.email);
      if (invisible !== '\u200c' && invisible !== '\u200d' && isPersonAddress(email)) expect(people).toEqual([email]);
      for (const person of people) expect(email !== person && email.includes(person)).toBe(false);
    }), { numRuns: 1_000 });
  });

  it('whatever the scanner extracts passes the worker’s schema and is looked up, never set apart', () => {
    fc.assert(fc.property(fc.array(fc.oneof(noise, fc.string({ unit: 'grapheme' }), address.map((email) => `Name <${email}>`)), { maxLength: 20 }), (parts) => {
      const { emails } = findPeople([{ text: parts.join(' '), name: '', source: 'text' }]);
      for (const { email } of emails) {
        expect(isEmailAddress(email)).toBe(true);
        expect(v.is(EmailAddress, email)).toBe(true);
      }
      const request = parseRequest({ type: 'lookup', emails, source: 'agile' });
      expect(request.type === 'lookup' && request.emails.every((entry) => isEmailAddress(entry.email))).toBe(true);
    }), { numRuns: 1_000 });
  });
});
