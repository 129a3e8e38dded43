/**
 * Runs inside the page (chrome.scripting.executeScript, on demand through activeTab), so it must be
 * self-contained: no imports, no closures. It only gathers raw candidates; deciding which are people is
 * `findPeople`'s job, in the worker, where it is unit-tested.
 */

export type CandidateSource = 'selection' | 'attribute' | 'mailto' | 'text';

export interface Candidate {
  /** Text holding one or more addresses, as found. */
  text: string;
  /** A name the page shows for it (Gmail's `name` attribute, a mailto link's text). */
  name: string;
  source: CandidateSource;
}

export interface PageScan {
  title: string;
  candidates: Candidate[];
}

export function collectPageEmails(): PageScan {
  const MAX_TEXT = 2_000_000;
  const MAX_CANDIDATES = 5_000;
  const candidates: Candidate[] = [];
  const add = (text: string | null | undefined, name: string, source: CandidateSource): void => {
    if (text && text.includes('@') && candidates.length < MAX_CANDIDATES) candidates.push({ text: text.slice(0, 10_000), name: name.trim().slice(0, 200), source });
  };

  add(String(window.getSelection?.() ?? ''), '', 'selection');

  // Gmail marks people with `email` (and `name`) attributes; Outlook on the web and many apps put
  // "Name <address>" in title / aria-label; some use data-email or data-hovercard-id.
  const attributeHolders = document.querySelectorAll('[email], [data-email], [data-hovercard-id*="@"], [title*="@"], [aria-label*="@"]');
  for (const element of Array.from(attributeHolders)) {
    const name = element.getAttribute('name') ?? element.getAttribute('data-name') ?? '';
    for (const attribute of ['email', 'data-email', 'data-hovercard-id', 'title', 'aria-label']) {
      add(element.getAttribute(attribute), name, 'attribute');
    }
  }

  for (const link of Array.from(document.querySelectorAll<HTMLAnchorElement>('a[href^="mailto:" i]'))) {
    let address = link.href.slice('mailto:'.length).split('?')[0] ?? '';
    try {
      address = decodeURIComponent(address);
    } catch {
      // Keep the raw text: a malformed escape should not hide the address.
    }
    const label = (link.textContent ?? '').trim();
    add(address, label.includes('@') ? '' : label, 'mailto');
  }

  const body = document.body;
  const text = body ? (body.innerText || body.textContent || '') : '';
  add(text.slice(0, MAX_TEXT), '', 'text');

  return { title: document.title, candidates };
}
