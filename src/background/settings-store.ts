/** The settings record in `storage.local`; only the worker reads and writes it. */
import { readStoredSettings, validateSettings, type Settings } from '../shared/settings';
import { keepInStorage } from './contact-cache';

const KEY = 'settings';

export async function loadSettings(): Promise<Settings> {
  return readStoredSettings((await chrome.storage.local.get(KEY))[KEY]);
}

/** Validates, then saves; a SettingsError names the field the options page should point at. */
export async function saveSettings(input: Settings): Promise<Settings> {
  const settings = validateSettings(input);
  await keepInStorage({ [KEY]: settings }, 'the settings');
  return settings;
}
