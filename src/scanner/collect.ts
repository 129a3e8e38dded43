/**
 * Runs inside the page (chrome.scripting.executeScript, on demand through activeTab), so it must be
 * self-contained: no imports, no closures. It only gathers raw candidates; deciding which are people is
 * `findPeople`'s job, in the worker, where it is unit-tested.
 *
 * It reads the whole page: the document, every open shadow root (nested ones too) and every frame (or `<object>`)
 * whose document this script may touch (same-origin, `srcdoc`, `about:blank`), walking their nodes (`innerText` enters neither
 * shadow roots nor frames, and lays out the page to read it). Closed shadow roots and frames of other sites are out
 * of its reach and skipped without an error.
 */

export type CandidateSource = 'selection' | 'attribute' | 'mailto' | 'field' | 'text';

export interface Candidate {
  /** Text holding one or more addresses, as found (a whole `mailto:` URL for links). */
  text: string;
  /** A name the page shows for it (Gmail's `name` attribute, a mailto link's text). */
  name: string;
  source: CandidateSource;
}

export interface PageScan {
  title: string;
  /** `document.contentType`: Chrome shows a PDF in a viewer this script cannot read. */
  contentType: string;
  candidates: Candidate[];
}

export function collectPageEmails(): PageScan {
  // Characters read per source, page-wide: a long page is read to the end of its first 2 MB of text.
  const budget: Record<CandidateSource, number> = { selection: 100_000, attribute: 1_000_000, mailto: 500_000, field: 500_000, text: 2_000_000 };
  const MAX_CANDIDATES = 10_000;
  const MAX_ROOTS = 1_000;
  const FIELD_TYPES = new Set(['text', 'email', 'search', 'url', 'tel']);
  const SKIPPED = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT']);
  // An address, its display name and an obfuscated form all lie within this many characters of an `@` or a
  // bracketed "at" (shared/email.ts reads at most 256 either way): running text is shipped to the worker as those
  // neighbourhoods only, not as megabytes of prose.
  const REACH = 600;
  const OBFUSCATED_AT = /[[({][ \t]*at[ \t]*[\])}]/gi;
  const candidates: Candidate[] = [];
  // An `@` starts an address only with a local-part character before it and a letter or digit after it
  // (shared/email.ts); the others — runs of `@`, `<@` — are passed over here, where they cost nothing to ship.
  // Fixed length, one class per character: the regular expression engine tries each position once.
  const MARK = /[0-9A-Za-z._%+'\-\u0080-\uffff]@[0-9A-Za-z\u0080-\uffff]/g;
  const alphanumeric = (code: number) => code >= 128 || (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
  const LOCAL_SYMBOLS = new Set(['.', '_', '%', '+', "'", '-'].map((symbol) => symbol.charCodeAt(0)));
  /** The same test as MARK, at one `@`. */
  const marks = (text: string, at: number) => {
    const before = text.charCodeAt(at - 1);
    return (alphanumeric(before) || LOCAL_SYMBOLS.has(before)) && alphanumeric(text.charCodeAt(at + 1));
  };
  /** The first `@` at or after `from` that may start an address, or -1. */
  const nextMark = (text: string, from: number): number => {
    MARK.lastIndex = Math.max(0, from - 1);
    const found = MARK.exec(text);
    return found ? found.index + 1 : -1;
  };
  const lastMark = (text: string, before: number, floor: number): number => {
    // (lastIndexOf reads a negative position as 0: stop at the start rather than find the same `@` again.)
    for (let at = before > 0 ? text.lastIndexOf('@', before - 1) : -1; at !== -1 && at >= floor; at = at > 0 ? text.lastIndexOf('@', at - 1) : -1) {
      if (marks(text, at)) return at;
    }
    return -1;
  };
  const tokenAt = (text: string, from: number): number => {
    OBFUSCATED_AT.lastIndex = from;
    return OBFUSCATED_AT.exec(text)?.index ?? -1;
  };
  const mayHoldAddress = (text: string) => nextMark(text, 0) !== -1 || tokenAt(text, 0) !== -1;
  const neighbourhoods = (text: string): string => {
    const parts: string[] = [];
    let nextAt = nextMark(text, 0);
    let nextToken = tokenAt(text, 0);
    while (nextAt !== -1 || nextToken !== -1) {
      const mark = nextAt === -1 ? nextToken : nextToken === -1 ? nextAt : Math.min(nextAt, nextToken);
      const start = Math.max(0, mark - REACH);
      let end = Math.min(text.length, mark + REACH);
      // Grow the window while a mark lies inside it: the last `@` mark before its end (searched backwards, at most
      // REACH back: one further away would not grow it), and every bracketed "at". Each step grows the window by at
      // least what the previous one searched, so the whole is linear.
      for (let grown = end; ; end = grown) {
        const last = lastMark(text, end, end - REACH);
        grown = last === -1 ? end : Math.max(end, Math.min(text.length, last + REACH));
        while (nextToken !== -1 && nextToken < grown) {
          grown = Math.max(grown, Math.min(text.length, nextToken + REACH));
          nextToken = tokenAt(text, nextToken + 1);
        }
        if (grown === end) break;
      }
      parts.push(text.slice(start, end));
      nextAt = nextMark(text, end);
    }
    return parts.join('\n\n');
  };
  const add = (text: string | null | undefined, name: string, source: CandidateSource): void => {
    const room = budget[source];
    if (!text || room <= 0 || candidates.length >= MAX_CANDIDATES) return;
    const read = text.length > room ? text.slice(0, room) : text;
    budget[source] = room - read.length;
    const kept = source === 'text' ? neighbourhoods(read) : read;
    if (kept) candidates.push({ text: kept, name: name.trim().slice(0, 200), source });
  };

  // A line ends around each block-level element, so its text never runs into the next one's. innerText would take
  // this from the layout, and lay out a big page again whenever the popup's opening changed focus; tag names cost
  // nothing. Custom elements (web components) count as blocks.
  const BLOCKS = new Set(['ADDRESS', 'ARTICLE', 'ASIDE', 'BLOCKQUOTE', 'BR', 'BUTTON', 'CAPTION', 'DD', 'DETAILS', 'DIALOG', 'DIV', 'DL',
    'DT', 'FIELDSET', 'FIGCAPTION', 'FIGURE', 'FOOTER', 'FORM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HR', 'IFRAME', 'IMG',
    'LEGEND', 'LI', 'MAIN', 'NAV', 'OL', 'OPTION', 'P', 'PRE', 'SECTION', 'SUMMARY', 'TABLE', 'TBODY', 'TD', 'TFOOT', 'TH', 'THEAD', 'TR', 'UL']);
  // Elements of other vocabularies (an XML document's fields, shown by the browser's XML viewer) count as blocks too.
  const HTML = 'http://www.w3.org/1999/xhtml';
  const isBlock = (element: Element) => BLOCKS.has(element.tagName) || element.tagName.includes('-') || element.namespaceURI !== HTML;
  /**
   * Where an inline element starts or ends there is a seam: its offset in the text and the element are noted (not
   * written into the text). Text on both sides of a seam runs together, as it does on screen — `<b>ada</b>@example.com`,
   * `ada@<mark>example</mark>.com`, `ada@example.<mark>co</mark>m` — except where the page shows two things:
   * `closeSeams` writes a line break at a seam between letters or digits of a word holding an `@` when either the
   * elements there are laid out as boxes of their own (a flex or grid item, a block, an inline-block:
   * `<span>Ada Lovelace</span><span>ada@example.com</span>` in a flex row), or the element holding the `@` ends there
   * after a whole domain (`<span>ada@example.com</span><span>Sales</span>`: never `…@example.comSales`). The style is
   * read only at such seams, rarely more than a few per page, and the text is copied again only when a break is written.
   */
  const DOMAIN_DONE = /\.[A-Za-z\u0080-\uffff]{2,}$/;
  const WORD_REACH = 320;
  const inWord = (code: number) => alphanumeric(code) || LOCAL_SYMBOLS.has(code) || code === 64;
  // Styles read per scan at most: a page built of thousands of such seams is read as inline text past this many.
  let styleReads = 256;
  const boxed = (elements: Element[]) => elements.some((element) => {
    if (styleReads-- <= 0) return false;
    const display = element.ownerDocument?.defaultView?.getComputedStyle(element).display;
    return display !== undefined && display !== '' && display !== 'inline' && display !== 'contents';
  });
  /**
   * `text` with a line break at each seam that splits; `seams` are offsets in order, `owners` their elements. One pass
   * forward: where the word around a seam has its `@` (at most WORD_REACH away) is carried from seam to seam, so a
   * page of a million seams in one long word costs one reading of the text, not one per seam.
   */
  const closeSeams = (text: string, seams: number[], owners: Element[], closedFrom: number[]): string => {
    const breaks: number[] = [];
    // Behind the seam: the last `@` and the last character that ends a word, read up to `behind`.
    let behind = 0;
    let lastAt = -1;
    let lastStop = -1;
    // Ahead: text[ahead] is the first `@` or character that ends a word at or after the seam, once read up to there;
    // or (where the window of WORD_REACH ended the reading first) the next character to read. Word characters lie
    // between the seam and it, so a later seam of the same word carries on from it rather than trusting a window
    // that ended short of its own.
    let ahead = 0;
    for (let first = 0; first < seams.length;) {
      const at = seams[first]!;
      let next = first + 1;
      while (next < seams.length && seams[next] === at) next++;
      const run = first;
      first = next;
      if (at >= text.length || !alphanumeric(text.charCodeAt(at - 1)) || !alphanumeric(text.charCodeAt(at))) continue;
      for (; behind < at; behind++) {
        const code = text.charCodeAt(behind);
        if (code === 64) lastAt = behind;
        else if (!inWord(code)) lastStop = behind;
      }
      const atBefore = lastAt > lastStop && at - lastAt <= WORD_REACH ? lastAt : -1;
      // A whole domain ends the address only where the element holding its `@` ends too (`<a>ada@example.com</a>`
      // then a word): a highlight ending inside a domain (`ada@example.<mark>co</mark>m`) is part of it.
      let encloses = false;
      for (let index = run; index < next && !encloses; index++) encloses = closedFrom[index]! >= 0 && closedFrom[index]! <= atBefore;
      let split = atBefore !== -1 && encloses && DOMAIN_DONE.test(text.slice(atBefore + 1, at));
      if (!split) {
        if (ahead < at) ahead = at;
        for (; ahead < text.length && ahead - at < WORD_REACH; ahead++) {
          const code = text.charCodeAt(ahead);
          if (code === 64 || !inWord(code)) break;
        }
        const atAhead = ahead - at < WORD_REACH && text.charCodeAt(ahead) === 64 ? ahead : -1;
        split = (atBefore !== -1 || atAhead !== -1) && boxed(owners.slice(run, next));
      }
      if (split) breaks.push(at);
    }
    if (breaks.length === 0) return text;
    const out: string[] = [];
    let from = 0;
    for (const at of breaks) {
      out.push(text.slice(from, at), '\n');
      from = at;
    }
    out.push(text.slice(from));
    return out.join('');
  };

  /**
   * The text under `root` in document order (hidden text too: a collapsed quote is still on the page), without
   * scripts and styles; and every open shadow root and same-origin frame document met on the way, added to `nested`.
   * Iterative, so no depth of nesting can overflow the stack.
   */
  const walk = (root: Node, nested: (Document | ShadowRoot)[]): string => {
    const parts: string[] = [];
    let length = 0;
    const push = (part: string) => {
      parts.push(part);
      length += part.length;
    };
    const seams: number[] = [];
    const owners: Element[] = [];
    // For a seam where an element ends: where its text began (else -1). `open` holds the inline elements entered.
    const closedFrom: number[] = [];
    const open: number[] = [];
    const seam = (element: Element, closing: boolean) => {
      // <wbr> only says where a line may break: an address written across one is one address.
      if (element.tagName === 'WBR') return;
      seams.push(length);
      owners.push(element);
      if (closing) closedFrom.push(open.pop() ?? -1);
      else {
        open.push(length);
        closedFrom.push(-1);
      }
    };
    let size = 0;
    let node: Node | null = root.firstChild;
    while (node) {
      let inside = false;
      if (node.nodeType === Node.TEXT_NODE) {
        const value = node.nodeValue ?? '';
        if (size < budget.text) push(value);
        size += value.length;
      } else if (node.nodeType === Node.ELEMENT_NODE && !SKIPPED.has((node as Element).tagName)) {
        const element = node as Element;
        if (element.shadowRoot) nested.push(element.shadowRoot);
        if (element.tagName === 'IFRAME' || element.tagName === 'FRAME' || element.tagName === 'OBJECT') {
          try {
            const inner = (element as HTMLIFrameElement | HTMLObjectElement).contentDocument;
            if (inner) nested.push(inner);
          } catch {
            // A frame of another site: not ours to read.
          }
        }
        if (isBlock(element)) push('\n');
        else seam(element, false);
        inside = element.firstChild !== null;
      }
      if (inside) {
        node = node.firstChild;
        continue;
      }
      // Leave this node, and each ancestor whose last child it was.
      while (node && node !== root) {
        if (node.nodeType === Node.ELEMENT_NODE && !SKIPPED.has((node as Element).tagName)) {
          if (isBlock(node as Element)) push('\n');
          else seam(node as Element, true);
        }
        if (node.nextSibling) {
          node = node.nextSibling;
          break;
        }
        node = node.parentNode;
      }
      if (node === root) break;
    }
    return closeSeams(parts.join(''), seams, owners, closedFrom);
  };

  const roots: (Document | ShadowRoot)[] = [document];
  for (let index = 0; index < roots.length && index < MAX_ROOTS; index++) {
    const root = roots[index]!;
    const isDocument = root.nodeType === Node.DOCUMENT_NODE;
    if (isDocument) add(String((root as Document).getSelection?.() ?? ''), '', 'selection');

    // Gmail marks people with `email` (and `name`) attributes; Outlook on the web and many apps put
    // "Name <address>" in title / aria-label; some use data-email or data-hovercard-id.
    for (const element of Array.from(root.querySelectorAll('[email], [data-email], [data-hovercard-id*="@"], [title*="@"], [aria-label*="@"]'))) {
      const name = element.getAttribute('name') ?? element.getAttribute('data-name') ?? '';
      for (const attribute of ['email', 'data-email', 'data-hovercard-id', 'title', 'aria-label']) {
        const value = element.getAttribute(attribute);
        if (value && mayHoldAddress(value)) add(value, name, 'attribute');
      }
    }

    for (const link of Array.from(root.querySelectorAll<HTMLAnchorElement | HTMLAreaElement>('a[href^="mailto:" i], area[href^="mailto:" i]'))) {
      const label = (link.textContent ?? '').trim();
      add(link.href, label.includes('@') ? '' : label, 'mailto');
    }

    // What the rep typed (a compose window's recipients, a sign-up form), never a password.
    for (const field of Array.from(root.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea'))) {
      const typed = field.tagName === 'TEXTAREA' || FIELD_TYPES.has((field as HTMLInputElement).type);
      if (typed && !/password/i.test(field.autocomplete) && mayHoldAddress(field.value)) add(field.value, '', 'field');
    }

    const top = isDocument ? ((root as Document).body ?? (root as Document).documentElement) : root;
    if (top) add(walk(top, roots), '', 'text');
  }

  return { title: document.title, contentType: document.contentType, candidates };
}
