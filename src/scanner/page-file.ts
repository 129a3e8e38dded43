/** Where the built page scanner (src/scanner/page.ts) lives in the extension, for `executeScript({ files })`. */
export const PAGE_SCRIPT_FILE = 'page-scan.js';

/** The isolated-world global through which a context-menu lookup hands the page scanner its selection or link. */
export const PAGE_INPUT = 'agileCrmPageInput';
