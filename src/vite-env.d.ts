/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The relay a production build points at (default: a relay on this machine). */
  readonly VITE_RELAY_URL?: string;
  /** The Agile CRM account a build is preconfigured for, as a domain or base URL. */
  readonly VITE_AGILE?: string;
}
