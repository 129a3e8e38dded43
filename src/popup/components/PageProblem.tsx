import browser from 'webextension-polyfill';
import type { ErrorInfo } from '../../shared/errors';
import { Notice } from './Notice';

/**
 * Why the page could not be read or looked up, with the way forward its kind allows: read it again (a dialog was
 * open, it was still loading), or the extension's details, where file access is turned on. Search stays above it.
 */
export function PageProblem({ error, onRetry }: { error: ErrorInfo | null; onRetry(): void }) {
  if (!error) return null;
  return (
    <>
      <Notice error={error} />
      {error.code === 'page_busy' && <button type="button" class="btn" onClick={onRetry}>Try again</button>}
      {error.code === 'no_access' && <button type="button" class="btn" onClick={onRetry}>Look up this page</button>}
      {error.code === 'file_access' && (
        <button type="button" class="btn" onClick={() => void browser.tabs.create({ url: `chrome://extensions/?id=${browser.runtime.id}` })}>
          Open the extension’s details
        </button>
      )}
    </>
  );
}
