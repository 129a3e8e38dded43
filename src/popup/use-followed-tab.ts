import { useEffect, useRef } from 'preact/hooks';
import browser from 'webextension-polyfill';

/** The side panel is the popup's App in another frame (src/sidepanel/index.html marks its root `panel`). */
export const IN_PANEL = document.documentElement.classList.contains('panel');

/** The tab this page is about: the active tab of its window (a popup window opened from the menu has none). */
export async function activeTabId(): Promise<number | null> {
  if (new URLSearchParams(location.search).has('window')) return null;
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

/**
 * In the side panel: calls `onTab` when the rep looks at another tab of the panel's window, when that tab navigates,
 * or when a single-page mail app changes its URL (the extension sees URLs only on sites it holds: elsewhere the
 * completed navigation is the signal). Not the same URL twice in a row.
 */
export function useFollowedTab(onTab: (tabId: number) => void): void {
  const latest = useRef(onTab);
  latest.current = onTab;
  useEffect(() => {
    if (!IN_PANEL) return;
    let windowId: number | undefined;
    let current: { tabId: number | null; url: string | undefined } = { tabId: null, url: undefined };
    void Promise.all([browser.windows.getCurrent(), activeTabId()]).then(([window, tabId]) => {
      windowId = window.id;
      if (current.tabId === null) current = { tabId, url: undefined };
    });
    const activated = (info: { tabId: number; windowId: number }) => {
      if (info.windowId !== windowId || info.tabId === current.tabId) return;
      current = { tabId: info.tabId, url: undefined };
      latest.current(info.tabId);
    };
    const updated = (tabId: number, change: { url?: string; status?: string }, tab: { url?: string; status?: string }) => {
      if (tabId !== current.tabId || tab.status !== 'complete' || (change.url === undefined && change.status !== 'complete')) return;
      if (tab.url !== undefined && tab.url === current.url) return;
      current = { tabId, url: tab.url };
      latest.current(tabId);
    };
    // A site granted or revoked (here, in Options, in the browser's settings): what the tab shows may change with it.
    const permissions = () => {
      const { tabId } = current;
      if (tabId === null) return;
      current = { tabId, url: undefined };
      latest.current(tabId);
    };
    browser.tabs.onActivated.addListener(activated);
    browser.tabs.onUpdated.addListener(updated);
    browser.permissions.onAdded.addListener(permissions);
    browser.permissions.onRemoved.addListener(permissions);
    return () => {
      browser.tabs.onActivated.removeListener(activated);
      browser.tabs.onUpdated.removeListener(updated);
      browser.permissions.onAdded.removeListener(permissions);
      browser.permissions.onRemoved.removeListener(permissions);
    };
  }, []);
}
