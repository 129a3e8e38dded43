/**
 * The in-page collector ships running text to the worker as the neighbourhoods of each `@` and bracketed "at"
 * only. Property: the people found in what it ships are exactly the people found in the whole text. (The DOM
 * walk itself — frames, shadow roots, fields — runs against real pages in test/e2e/pages.test.ts.)
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { collectPageEmails } from '../../src/scanner/collect';
import { findPeople } from '../../src/scanner/people';

/** The few DOM members collectPageEmails touches on a document whose body holds `text` and nothing else. */
function pageOf(text: string): void {
  Object.assign(globalThis, {
    Node: { DOCUMENT_NODE: 9, TEXT_NODE: 3, ELEMENT_NODE: 1 },
    document: { nodeType: 9, title: 'T', contentType: 'text/html', getSelection: () => '', querySelectorAll: () => [], body: { innerText: text } },
  });
}
afterEach(() => {
  Reflect.deleteProperty(globalThis, 'document');
  Reflect.deleteProperty(globalThis, 'Node');
});

const people = (text: string) => findPeople([{ text, name: '', source: 'text' }], 10_000).emails;
const shipped = (text: string) => {
  pageOf(text);
  return findPeople(collectPageEmails().candidates, 10_000).emails;
};

describe('collectPageEmails: running text', () => {
  it('finds in the neighbourhoods what is in the whole text', () => {
    const word = fc.oneof(fc.constantFrom('ada@example.com', 'Ada Lovelace <ada@example.com>', 'bob [at] example [dot] org', 'x', '@', '[at]', '(dot)', ' ', '\n',
      'a'.repeat(300), `b@${'c'.repeat(250)}.com`, 'é'.repeat(100), '@'.repeat(700), 'x@'.repeat(400), 'ab<@@@', '.@-'), fc.string({ maxLength: 8 }));
    const filler = fc.nat({ max: 1_500 }).map((n) => ' lorem'.repeat(n));
    fc.assert(fc.property(fc.array(fc.oneof(word, filler), { maxLength: 30 }), (parts) => {
      const text = parts.join('');
      expect(shipped(text)).toEqual(people(text));
    }), { numRuns: 300 });
  });

  it('ships kilobytes of a 2 MB page of prose, and reads it to its end', () => {
    const text = `${'Lorem ipsum dolor sit amet. '.repeat(70_000)}\nFrom: Ada Lovelace <ada@example.com>.`;
    pageOf(text);
    const { candidates } = collectPageEmails();
    expect(candidates.reduce((size, candidate) => size + candidate.text.length, 0)).toBeLessThan(2_000);
    expect(findPeople(candidates).emails).toEqual([{ email: 'ada@example.com', name: 'Ada Lovelace' }]);
  });

  it('merges the neighbourhoods of a run of a million @ in linear time', () => {
    const text = `${'@'.repeat(1_000_000)} ada@example.com ${'(at)'.repeat(100_000)}`;
    const started = performance.now();
    expect(shipped(text).map((person) => person.email)).toEqual(['ada@example.com']);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
