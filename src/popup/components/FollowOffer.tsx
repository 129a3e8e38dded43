import { useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { SiteOffer } from '../../shared/messages';

/**
 * On a mail site the rep has not chosen: one click to let the extension follow it — read each conversation opened
 * there, without a click each time. The browser asks the rep to confirm (`permissions.request`, which must run in
 * the click itself); nothing is read there before. Options lists followed sites and stops following them.
 */
export function FollowOffer({ site, onFollowed }: { site: SiteOffer | null | undefined; onFollowed(): void }) {
  const [state, setState] = useState<'idle' | 'asking' | 'declined' | 'failed'>('idle');
  if (!site || site.followed) return null;
  const follow = () => {
    if (state === 'asking') return;
    setState('asking');
    browser.permissions.request({ origins: [site.origin] }).then(
      (granted) => (granted ? onFollowed() : setState('declined')),
      () => setState('failed'),
    );
  };
  return (
    <div class="notice notice-info follow" role="group" aria-label={`Follow ${site.label}`}>
      <p>Show the people of each {site.label} conversation as you open it, here and on the toolbar button.</p>
      <button type="button" class="btn btn-primary" onClick={follow} aria-disabled={state === 'asking'}>
        {state === 'asking' ? 'Answer the browser’s question…' : `Follow ${site.host}`}
      </button>
      {state === 'declined' && <p class="small muted" role="status">Not followed: it is read only when you click.</p>}
      {state === 'failed' && <p class="small" role="alert">The browser did not ask. Try again from the toolbar button.</p>}
    </div>
  );
}
