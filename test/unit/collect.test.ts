/**
 * The in-page collector ships running text to the worker as the neighbourhoods of each `@` and bracketed "at"
 * only. Property: the people found in what it ships are exactly the people found in the whole text. (The DOM
 * walk itself — frames, shadow roots, fields — runs against real pages in test/e2e/pages.test.ts.)
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { collectPageEmails } from '../../src/scanner/collect';
import { findPeople } from '../../src/scanner/people';

/** A node with just the members the collector's walk reads. */
interface FakeNode { nodeType: number; tagName?: string; namespaceURI?: string | null; nodeValue?: string; shadowRoot?: null; firstChild: FakeNode | null; nextSibling: FakeNode | null; parentNode: FakeNode | null }
const text = (value: string): FakeNode => ({ nodeType: 3, nodeValue: value, firstChild: null, nextSibling: null, parentNode: null });
const HTML = 'http://www.w3.org/1999/xhtml';
/** An HTML element (upper-case name), or one of another vocabulary: an XML document's (`namespace` null). */
function element(tagName: string, ...children: FakeNode[]): FakeNode {
  return inNamespace(HTML, tagName, ...children);
}
function inNamespace(namespaceURI: string | null, tagName: string, ...children: FakeNode[]): FakeNode {
  const node: FakeNode = { nodeType: 1, tagName, namespaceURI, shadowRoot: null, firstChild: children[0] ?? null, nextSibling: null, parentNode: null };
  children.forEach((child, i) => Object.assign(child, { parentNode: node, nextSibling: children[i + 1] ?? null }));
  return node;
}

/** The few DOM members collectPageEmails touches, on a document whose body is `body`. */
function documentWith(body: FakeNode): void {
  Object.assign(globalThis, {
    Node: { DOCUMENT_NODE: 9, TEXT_NODE: 3, ELEMENT_NODE: 1 },
    document: { nodeType: 9, title: 'T', contentType: 'text/html', getSelection: () => '', querySelectorAll: () => [], body },
  });
}
const pageOf = (value: string) => documentWith(element('BODY', text(value)));
afterEach(() => {
  Reflect.deleteProperty(globalThis, 'document');
  Reflect.deleteProperty(globalThis, 'Node');
});

const people = (value: string) => findPeople([{ text: value, name: '', source: 'text' }], 10_000).emails;
const shipped = (value: string) => {
  pageOf(value);
  return findPeople(collectPageEmails().candidates, 10_000).emails;
};

describe('collectPageEmails: the walk over the DOM', () => {
  const found = () => findPeople(collectPageEmails().candidates).emails.map((person) => person.email);

  it('ends a line around block elements, joins inline ones, and skips scripts and styles', () => {
    documentWith(element('BODY',
      element('DIV', text('ada@example.com')), element('DIV', text('Next')),
      element('P', text('bob@'), element('B', text('example')), text('.org')),
      element('SCRIPT', text('var x = "eve@script.example";')), element('STYLE', text('a::after { content: "mallory@style.example" }')),
      element('TD', text('carol@example.net')), element('X-CARD', text('Dave')),
    ));
    expect(found()).toEqual(['ada@example.com', 'bob@example.org', 'carol@example.net']);
  });

  it('the fields of an XML document (shown by the browser’s XML viewer) are apart, never run into one address', () => {
    documentWith(element('BODY', inNamespace(null, 'contact',
      inNamespace(null, 'email', text('ada@example.com')), inNamespace(null, 'team', text('Sales')),
    ), inNamespace(null, 'note', text('This XML file does not appear to have any style information.'))));
    expect(found()).toEqual(['ada@example.com']);
  });

  it('reads the document of a same-origin frame or <object>', () => {
    const inner = (address: string) => ({ nodeType: 9, getSelection: () => '', querySelectorAll: () => [], body: element('BODY', text(address)) });
    documentWith(element('BODY',
      Object.assign(element('IFRAME'), { contentDocument: inner('ada@example.com') }),
      Object.assign(element('OBJECT'), { contentDocument: inner('bob@example.org') }),
      Object.assign(element('IFRAME'), { contentDocument: null }),
    ));
    expect(found()).toEqual(['ada@example.com', 'bob@example.org']);
  });

  it('an address never runs into the word of the next element: a whole address ends with the element holding it (any case, any word)', () => {
    for (const word of ['Sales', 'sales', 'VP', 'x1', 'Über']) {
      documentWith(element('BODY', element('P', element('SPAN', text('ada@example.com')), element('SPAN', text(word)))));
      expect(found()).toEqual(['ada@example.com']);
      documentWith(element('BODY', element('P', element('A', element('B', text('bob')), text('@mail.example.org')), element('I', text(word)))));
      expect(found()).toEqual(['bob@mail.example.org']);
    }
    // Bare text that runs on into an inline element's word is one word on screen too: read as written.
    documentWith(element('BODY', element('P', text('eve@example.org'), element('I', text('Sales')))));
    expect(found()).toEqual(['eve@example.orgSales']);
  });

  it('parts of one address in inline elements are one address: a highlight, a bold domain, a <wbr>', () => {
    const cases: [FakeNode[], string][] = [
      [[element('MARK', text('ada')), text('.lovelace@example.com')], 'ada.lovelace@example.com'],
      [[text('ada@'), element('B', text('example')), text('.com')], 'ada@example.com'],
      [[text('ada@exa'), element('B', text('mple')), text('.com')], 'ada@example.com'],
      [[text('ada@example.'), element('EM', text('com'))], 'ada@example.com'],
      // A search hit highlighted inside the domain, after what would be a whole one (example.co): still one address.
      [[text('ada@example.'), element('MARK', text('co')), text('m')], 'ada@example.com'],
      [[text('ada@example.co'), element('MARK', text('m'))], 'ada@example.com'],
      [[text('ada@examp'), element('MARK', text('le.co')), text('m')], 'ada@example.com'],
      [[text('ada@exam'), element('WBR'), text('ple.co.uk')], 'ada@example.co.uk'],
      [[element('SPAN', text('Ada')), text(' '), element('SPAN', text('ada@example.com'))], 'ada@example.com'],
    ];
    for (const [children, address] of cases) {
      documentWith(element('BODY', element('P', ...children)));
      expect(found()).toEqual([address]);
    }
  });

  it('elements laid out as boxes of their own (flex and grid items, inline-blocks) are apart, on either side of the @', () => {
    const box = (display: string, value: string) => Object.assign(element('SPAN', text(value)), {
      ownerDocument: { defaultView: { getComputedStyle: () => ({ display }) } },
    });
    for (const display of ['block', 'inline-block', 'flex', 'table-cell', 'list-item']) {
      documentWith(element('BODY', element('DIV', box(display, 'Lovelace'), box(display, 'ada@example.org'), box(display, 'sales'))));
      expect(found()).toEqual(['ada@example.org']);
      documentWith(element('BODY', element('DIV', text('Owner'), box(display, 'bob@example.org'))));
      expect(found()).toEqual(['bob@example.org']);
    }
    // Inline boxes run together, as they do on screen.
    documentWith(element('BODY', element('DIV', box('inline', 'Lovelace'), box('inline', 'ada@example.org'))));
    expect(found()).toEqual(['Lovelaceada@example.org']);
  });

  it('property: an address cut anywhere by inline elements is found whole, unless an element holding its @ ends after a whole domain', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
    fc.assert(fc.property(label, label, fc.stringMatching(/^[a-z]{2,6}$/), fc.uniqueArray(fc.nat(40), { maxLength: 4 }), (local, host, tld, cuts) => {
      const address = `${local}@${host}.${tld}`;
      const at = [...new Set(cuts.map((cut) => cut % address.length).filter((cut) => cut > 0))].sort((a, b) => a - b);
      const pieces = [0, ...at].map((start, i) => address.slice(start, at[i] ?? address.length));
      documentWith(element('BODY', element('P', ...pieces.map((piece, i) => (i % 2 ? element('B', text(piece)) : text(piece))))));
      // A cut after a whole domain ends the address only where the element ending there holds the @ (the odd pieces
      // are the <b>s): a highlight that ends inside a domain is part of it.
      const cutAfterWhole = at.some((cut, i) => /\.[a-z]{2,}$/.test(address.slice(local.length + 1, cut)) && cut < address.length
        && i % 2 === 1 && at[i - 1]! <= local.length);
      if (!cutAfterWhole) expect(found()).toEqual([address]);
      // (toContain would test `instanceof Node`, which these fake nodes' `Node` is not.)
      else expect(found().includes(address)).toBe(false);
    }));
  });

  it('reads a word cut by 300,000 inline elements in linear time (the seams do not each read the word again)', () => {
    // One word of 900,000 letters in <b>s, then a flex-less address: each seam has letters on both sides.
    const pieces = [...Array.from({ length: 300_000 }, () => element('B', text('abc'))), text(' ada@example.com')];
    const paragraph = element('P');
    // (Linked here: 300,000 arguments to element() would overflow the call stack.)
    pieces.forEach((piece, i) => Object.assign(piece, { parentNode: paragraph, nextSibling: pieces[i + 1] ?? null }));
    paragraph.firstChild = pieces[0]!;
    documentWith(element('BODY', paragraph));
    const started = performance.now();
    expect(found()).toEqual(['ada@example.com']);
    // About 0.3 s here; each seam reading up to 640 letters of the word took 1.6 s.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('walks any depth of nesting without recursion', () => {
    let deepest = element('SPAN', text('ada@example.com'));
    for (let depth = 0; depth < 200_000; depth++) deepest = element(depth % 2 ? 'DIV' : 'SPAN', deepest);
    documentWith(element('BODY', deepest));
    expect(found()).toEqual(['ada@example.com']);
  });
});

describe('collectPageEmails: running text', () => {
  it('finds in the neighbourhoods what is in the whole text', () => {
    const word = fc.oneof(fc.constantFrom('ada@example.com', 'Ada Lovelace <ada@example.com>', 'bob [at] example [dot] org', 'x', '@', '[at]', '(dot)', ' ', '\n',
      'a'.repeat(300), `b@${'c'.repeat(250)}.com`, 'é'.repeat(100), '@'.repeat(700), 'x@'.repeat(400), 'ab<@@@', '.@-'), fc.string({ maxLength: 8 }));
    const filler = fc.nat({ max: 1_500 }).map((n) => ' lorem'.repeat(n));
    fc.assert(fc.property(fc.array(fc.oneof(word, filler), { maxLength: 30 }), (parts) => {
      const joined = parts.join('');
      expect(shipped(joined)).toEqual(people(joined));
    }), { numRuns: 300 });
  });

  it('ships kilobytes of a 2 MB page of prose, and reads it to its end', () => {
    pageOf(`${'Lorem ipsum dolor sit amet. '.repeat(70_000)}\nFrom: Ada Lovelace <ada@example.com>.`);
    const { candidates } = collectPageEmails();
    expect(candidates.reduce((size, candidate) => size + candidate.text.length, 0)).toBeLessThan(2_000);
    expect(findPeople(candidates).emails).toEqual([{ email: 'ada@example.com', name: 'Ada Lovelace' }]);
  });

  it('merges the neighbourhoods of a run of a million @ in linear time', () => {
    const hostile = `${'@'.repeat(1_000_000)} ada@example.com ${'(at)'.repeat(100_000)}`;
    const started = performance.now();
    expect(shipped(hostile).map((person) => person.email)).toEqual(['ada@example.com']);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('collectPageEmails: seams read in one pass', () => {
  /** The per-seam rule, read again from scratch at each seam (as before the one-pass cursors): the reference. */
  const REACH = 320;
  const alnum = (code: number) => code >= 128 || (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  const inWord = (code: number) => alnum(code) || "._%+'-@".includes(String.fromCharCode(code));
  const wordAt = (value: string, at: number, step: -1 | 1) => {
    for (let i = at, n = 0; i >= 0 && i < value.length && n < REACH; i += step, n++) {
      if (value[i] === '@') return i;
      if (!inWord(value.charCodeAt(i))) return -1;
    }
    return -1;
  };
  /** Seams as [offset, boxed, where the element ending there began (-1 where one begins)]. */
  const naive = (value: string, seams: [number, boolean, number][]) => {
    const breaks = new Set<number>();
    for (const [at] of seams) {
      if (at >= value.length || !alnum(value.charCodeAt(at - 1)) || !alnum(value.charCodeAt(at))) continue;
      const here = seams.filter(([offset]) => offset === at);
      const boxedHere = here.some(([, boxed]) => boxed);
      const before = wordAt(value, at - 1, -1);
      const encloses = here.some(([, , from]) => from >= 0 && from <= before);
      if ((before !== -1 && encloses && /\.[A-Za-z\u0080-\uffff]{2,}$/.test(value.slice(before + 1, at))) || ((before !== -1 || wordAt(value, at, 1) !== -1) && boxedHere)) breaks.add(at);
    }
    return [...value].map((char, i) => (breaks.has(i) ? `\n${char}` : char)).join('');
  };

  it('a seam whose @ ahead lies past the window an earlier seam of the same long word read still sees it', () => {
    // One word: the first seam (the inline-block starts) reads 320 letters ahead and meets no @; the second (it ends,
    // 300 letters on) has the @ 23 letters ahead, 323 past the first. The box stands apart from the address after it.
    const box = Object.assign(element('SPAN', text('b'.repeat(300))), { ownerDocument: { defaultView: { getComputedStyle: () => ({ display: 'inline-block' }) } } });
    documentWith(element('BODY', element('P', text('a'.repeat(300)), box, text(`${'c'.repeat(20)}ada@example.com`))));
    expect(findPeople(collectPageEmails().candidates).emails.map((person) => person.email)).toEqual([`${'c'.repeat(20)}ada@example.com`]);
  });

  it('property: the one-pass cursors break a page where reading each seam afresh would', () => {
    const piece = fc.oneof(
      fc.constantFrom('a'.repeat(300), 'b'.repeat(50), 'ada', '@', 'example', '.com', '.co', 'm', ' ', 'x', 'Sales'),
      fc.stringMatching(/^[a-c@. ]{0,6}$/),
    );
    const part = fc.record({ value: piece, span: fc.constantFrom(null, 'inline', 'inline-block') });
    fc.assert(fc.property(fc.array(part, { maxLength: 25 }), (parts) => {
      let value = '\n';
      const seams: [number, boolean, number][] = [];
      const children = parts.map(({ value: piece, span }) => {
        if (span === null) {
          value += piece;
          return text(piece);
        }
        const from = value.length;
        seams.push([from, span !== 'inline', -1]);
        value += piece;
        seams.push([value.length, span !== 'inline', from]);
        return Object.assign(element('SPAN', text(piece)), { ownerDocument: { defaultView: { getComputedStyle: () => ({ display: span }) } } });
      });
      documentWith(element('BODY', element('P', ...children)));
      const walked = collectPageEmails().candidates;
      pageOf(naive(`${value}\n`, seams));
      expect(walked).toEqual(collectPageEmails().candidates);
    }), { numRuns: 2_000 });
  });
});
