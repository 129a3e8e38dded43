// The browser comes from the system (Debian's chromium) or from scripts/browser.ts — never from npm install,
// which cannot download on a closed network and would fail the whole install.
module.exports = { skipDownload: true };
