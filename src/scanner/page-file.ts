/** Where the built page scanner (src/scanner/page.ts) lives in the extension, for `executeScript({ files })`. */
export const PAGE_SCRIPT_FILE = 'page-scan.js';

/**
 * The page scanner's function, kept in the extension's isolated world of the page once injected (the page's own
 * scripts cannot reach that world): later scans of the same document call it, already compiled and warm, instead of
 * injecting the file again.
 */
export const PAGE_SCANNER = 'agileCrmScan';
