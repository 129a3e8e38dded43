/**
 * Opening the side panel where the browser has one: Chrome's `sidePanel` (Chrome ≥ 116), Firefox's `sidebarAction`
 * (the build for Firefox maps `side_panel` to `sidebar_action`). Both must be called from a user gesture — a click,
 * a command, a context-menu click — before anything is awaited.
 */

interface SidebarAction {
  open(): Promise<void>;
}

const api = () => globalThis.chrome as (typeof chrome & { sidebarAction?: SidebarAction }) | undefined;

/** Whether this browser can show the extension in a panel beside the page. */
export function sidePanelAvailable(): boolean {
  return typeof api()?.sidePanel?.open === 'function' || typeof api()?.sidebarAction?.open === 'function';
}

/**
 * Opens the panel in `windowId`. Rejects where there is no panel, or without a user gesture.
 *
 * @example button.onclick = () => void openSidePanel(windowId).then(() => window.close());
 */
export function openSidePanel(windowId: number): Promise<void> {
  const browser = api();
  if (typeof browser?.sidePanel?.open === 'function') return browser.sidePanel.open({ windowId });
  if (typeof browser?.sidebarAction?.open === 'function') return browser.sidebarAction.open();
  return Promise.reject(new Error('This browser has no side panel.'));
}
