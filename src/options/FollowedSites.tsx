import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { FOLLOWABLE_SITES, type FollowableSite } from '../scanner/mail-sites';

/**
 * The mail sites the rep lets the extension follow (granted from the popup or side panel), each with "Stop
 * following", which gives the permission back (`permissions.remove`): the site is then read only on a click again.
 */
export function FollowedSites() {
  const [followed, setFollowed] = useState<readonly FollowableSite[] | null>(null);
  const load = () => browser.permissions.getAll().then((all) => setFollowed(FOLLOWABLE_SITES.filter((site) => all.origins?.includes(site.origin))));
  useEffect(() => {
    void load();
    // Granted or revoked elsewhere (the popup, the browser's own extension settings): the list follows.
    browser.permissions.onAdded.addListener(load);
    browser.permissions.onRemoved.addListener(load);
    return () => {
      browser.permissions.onAdded.removeListener(load);
      browser.permissions.onRemoved.removeListener(load);
    };
  }, []);
  if (!followed) return null;
  return (
    <section aria-label="Followed sites">
      <h2>Followed sites</h2>
      {followed.length === 0 ? (
        <p>None. On Gmail or Outlook on the web, the popup and the side panel offer to follow the site: the extension then reads each conversation you open there, and nothing else.</p>
      ) : (
        <ul class="sites">
          {followed.map((site) => (
            <li key={site.origin}>
              <span>{site.label} — {site.host}</span>
              <button type="button" class="btn" onClick={() => void browser.permissions.remove({ origins: [site.origin] }).then(load)}>Stop following</button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
