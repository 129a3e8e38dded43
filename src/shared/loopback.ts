/**
 * Plain http is accepted only for this machine (a relay or sandbox in development): 127.0.0.0/8, localhost
 * and [::1]. Everything else must be https.
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** https anywhere, or http on loopback. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}
