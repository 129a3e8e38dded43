/**
 * Who is asking: the client address the relay's sign-in limits are counted by.
 *
 * On Node it is the socket's peer. A reverse proxy in front of the relay makes every peer the proxy, so the
 * operator may name the proxies it trusts (`RELAY_TRUSTED_PROXIES`: a hop count, or address ranges); the client is
 * then the right-most address in `X-Forwarded-For` (or RFC 7239 `Forwarded`) that is not one of them — entries to
 * its left were written by the client itself and prove nothing. On Workers the address is Cloudflare's
 * `CF-Connecting-IP`, which its edge sets (worker.ts); nothing here reads that header.
 *
 * Every address is checked to be an IP before it is used, and an IPv6 client is counted per /64: one subscriber
 * commonly holds a whole /64, so counting single IPv6 addresses would give an attacker 2^64 fresh ones.
 *
 * Runtime-neutral (no Node APIs): the Worker build uses `parseIp` and `clientKey` too.
 */
import type { Context } from 'hono';

export interface IpAddress {
  version: 4 | 6;
  /** 4 or 16 bytes, network order. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is returned as IPv4. */
  bytes: Uint8Array;
}

export interface IpRange {
  address: IpAddress;
  /** Prefix length in bits (0–32 for IPv4, 0–128 for IPv6). */
  bits: number;
}

/** `hops`: the last N hops are proxies (the socket's peer is the first). `ranges`: any hop inside these is a proxy. */
export type TrustedProxies = { kind: 'hops'; hops: number } | { kind: 'ranges'; ranges: IpRange[] };
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

export interface ClientAddressSettings {
  /** null: forwarded headers are ignored and the socket's peer is the client. */
  trustedProxies: TrustedProxies | null;
  forwardedHeader: ForwardedHeader;
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** RFC 3986 `IPv4address`: four decimal octets, no leading zeros (which some parsers read as octal). */
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): Uint8Array | null {
  return IPV4.test(text) ? Uint8Array.from(text.split('.'), Number) : null;
}

/** RFC 4291 §2.2 text: eight hextets, at most one `::`, optionally ending in an IPv4 address. */
function parseIpv6(text: string): Uint8Array | null {
  if (text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const words: number[] = [];
  const read = (parts: string[], isLast: boolean): boolean => {
    for (const [index, part] of parts.entries()) {
      if (isLast && index === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (!v4) return false;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (HEXTET.test(part)) {
        words.push(parseInt(part, 16));
      } else {
        return false;
      }
    }
    return true;
  };
  const compressed = halves.length === 2;
  if (!read(head, !compressed)) return null;
  const headWords = words.length;
  if (!read(tail, true)) return null;
  const missing = 8 - words.length;
  if (compressed ? missing < 1 : missing !== 0) return null;
  words.splice(headWords, 0, ...new Array<number>(missing).fill(0));
  const bytes = new Uint8Array(16);
  words.forEach((word, index) => {
    bytes[index * 2] = word >> 8;
    bytes[index * 2 + 1] = word & 0xff;
  });
  return bytes;
}

const isMappedIpv4 = (bytes: Uint8Array) => bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;

/**
 * Parses an IP address in its standard text form, strictly: `203.0.113.7`, `2001:db8::7`, `::ffff:203.0.113.7`
 * (returned as IPv4). A zone (`fe80::1%eth0`) is dropped. Anything else — names, ports, brackets, octal or
 * hexadecimal IPv4 forms — is null.
 *
 * @example parseIp('::ffff:127.0.0.1') // { version: 4, bytes: [127, 0, 0, 1] }
 */
export function parseIp(text: string): IpAddress | null {
  const zone = text.indexOf('%');
  const bare = zone === -1 ? text : text.slice(0, zone);
  if (zone !== -1 && !bare.includes(':')) return null;
  const v4 = parseIpv4(bare);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = bare.includes(':') ? parseIpv6(bare) : null;
  if (!v6) return null;
  return isMappedIpv4(v6) ? { version: 4, bytes: v6.slice(12) } : { version: 6, bytes: v6 };
}

const hex = (bytes: Uint8Array, from: number, to: number) => {
  const words: string[] = [];
  for (let i = from; i < to; i += 2) words.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return words.join(':');
};

/**
 * The name limits are counted under: an IPv4 address as such, an IPv6 address as its /64
 * (`2001:db8:0:7::/64`).
 *
 * @example clientKey(parseIp('2001:db8::1:2:3:4')!) // '2001:db8:0:0::/64'
 */
export function clientKey(address: IpAddress): string {
  return address.version === 4 ? address.bytes.join('.') : `${hex(address.bytes, 0, 8)}::/64`;
}

/** An address with an optional port, as proxies write them: `203.0.113.7:4711`, `[2001:db8::7]:443`, `2001:db8::7`. */
function parseNode(text: string): IpAddress | null {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    const rest = text.slice(end + 1);
    return end > 0 && (rest === '' || /^:\d{1,5}$/.test(rest)) ? parseIp(text.slice(1, end)) : null;
  }
  const colon = text.indexOf(':');
  if (colon !== -1 && colon === text.lastIndexOf(':')) return /^\d{1,5}$/.test(text.slice(colon + 1)) ? parseIp(text.slice(0, colon)) : null;
  return parseIp(text);
}

/**
 * Splits on `separator` outside quoted strings (RFC 9110 §5.6.4, with backslash escapes), scanning from the right:
 * the elements the proxies appended are read correctly even after a client-written prefix with an open quote.
 */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let end = text.length;
  let quoted = false;
  for (let i = text.length - 1; i >= 0; i--) {
    const char = text[i];
    if (char === '"') {
      let backslashes = 0;
      while (text[i - 1 - backslashes] === '\\') backslashes++;
      if (backslashes % 2 === 0) quoted = !quoted;
    } else if (!quoted && char === separator) {
      parts.push(text.slice(i + 1, end));
      end = i;
    }
  }
  parts.push(text.slice(0, end));
  return parts.reverse();
}

/** The `for` node of one RFC 7239 `forwarded-element`, unquoted; null when it has none. */
function forwardedFor(element: string): string | null {
  for (const pair of splitOutsideQuotes(element, ';')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || pair.slice(0, equals).trim().toLowerCase() !== 'for') continue;
    const value = pair.slice(equals + 1).trim();
    return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
  }
  return null;
}

/**
 * The hops a forwarded header lists, left (the original client, as claimed) to right (the last proxy's peer);
 * null for an entry that is not an IP address (`unknown`, an obfuscated name, garbage). Each entry is read on its
 * own, so a malformed entry a client prepended does not hide the ones the proxies appended.
 *
 * @example forwardedChain('forwarded', 'for=192.0.2.60;proto=https, for="[2001:db8::17]:4711"') // two addresses
 */
export function forwardedChain(header: ForwardedHeader, value: string | null | undefined): Array<IpAddress | null> {
  if (!value) return [];
  const elements = header === 'forwarded' ? splitOutsideQuotes(value, ',') : value.split(',');
  return elements.map((element) => {
    const node = header === 'forwarded' ? forwardedFor(element) : element.trim();
    return node ? parseNode(node) : null;
  });
}

function inRange(address: IpAddress, range: IpRange): boolean {
  if (address.version !== range.address.version) return false;
  const whole = range.bits >> 3;
  for (let i = 0; i < whole; i++) if (address.bytes[i] !== range.address.bytes[i]) return false;
  const rest = range.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address.bytes[whole]! & mask) === (range.address.bytes[whole]! & mask);
}

/**
 * The client among the socket's peer and the forwarded hops: the peer when no proxy is trusted; otherwise the
 * right-most hop that is not a trusted proxy. A hop that is not an IP where the client should be (a proxy that
 * wrote `unknown`) counts as the proxy that reported it.
 *
 * @example resolveClient(parseIp('10.0.0.2'), forwardedChain('x-forwarded-for', '1.1.1.1, 203.0.113.7'), { kind: 'hops', hops: 1 }) // 203.0.113.7
 */
export function resolveClient(peer: IpAddress | null, chain: ReadonlyArray<IpAddress | null>, trusted: TrustedProxies | null): IpAddress | null {
  if (!trusted || !peer) return peer;
  const hops = [...chain, peer];
  if (trusted.kind === 'hops') {
    for (let index = Math.max(0, hops.length - 1 - trusted.hops); index < hops.length; index++) {
      const hop = hops[index];
      if (hop) return hop;
    }
    return peer;
  }
  let reporter = peer;
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = hops[index];
    if (!hop) return reporter;
    if (!trusted.ranges.some((range) => inRange(hop, range))) return hop;
    reporter = hop;
  }
  return reporter;
}

/**
 * Reads `RELAY_TRUSTED_PROXIES`: empty (none), a hop count (`1`), or comma-separated addresses and CIDR ranges
 * (`10.0.0.0/8, 2001:db8::/32, 127.0.0.1`). Returns the setting, or the problem in words.
 */
export function parseTrustedProxies(text: string | undefined): { ok: true; value: TrustedProxies | null } | { ok: false; problem: string } {
  const value = text?.trim() ?? '';
  if (value === '') return { ok: true, value: null };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops >= 1 && hops <= 10
      ? { ok: true, value: { kind: 'hops', hops } }
      : { ok: false, problem: `RELAY_TRUSTED_PROXIES: a hop count must be 1 to 10: ${value}` };
  }
  const ranges: IpRange[] = [];
  for (const item of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const [text = '', bits, extra] = item.split('/');
    const address = text.includes('%') ? null : parseIp(text);
    const written = text.includes(':') ? 128 : 32;
    const length = bits === undefined ? written : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    // `::ffff:10.0.0.0/104` is the IPv4 range 10.0.0.0/8.
    const v4Bits = written === 128 ? length - 96 : length;
    if (!address || extra !== undefined || !(length <= written) || (address.version === 4 ? !(v4Bits >= 0) : !(length >= 0))) {
      return { ok: false, problem: `RELAY_TRUSTED_PROXIES: not an IP address or CIDR range: ${item}` };
    }
    ranges.push({ address, bits: address.version === 4 ? v4Bits : length });
  }
  return { ok: true, value: { kind: 'ranges', ranges } };
}

/** What @hono/node-server passes as the app's env: the Node request, whose socket knows the peer. */
interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: unknown } };
}

/**
 * The client's key for a request served by Node: the socket's peer, or the client the trusted proxies name.
 * null when there is no socket (a request dispatched in-process). `warn` is told once when forwarded headers
 * arrive while no proxy is trusted — every client behind that proxy then shares the proxy's limits.
 *
 * @example createRelay(config, { clientAddress: nodeClientAddress(config.clientAddress) })
 */
export function nodeClientAddress(settings: ClientAddressSettings, warn: (message: string) => void = () => undefined): (c: Context) => string | null {
  let warned = false;
  return (c) => {
    const remote = (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress;
    const peer = typeof remote === 'string' ? parseIp(remote) : null;
    if (!settings.trustedProxies && !warned && (c.req.header('x-forwarded-for') ?? c.req.header('forwarded')) !== undefined) {
      warned = true;
      warn('Requests arrive with X-Forwarded-For or Forwarded, but RELAY_TRUSTED_PROXIES is not set: the relay ignores those headers, '
        + 'so every client behind that proxy shares its sign-in limits. Set RELAY_TRUSTED_PROXIES to the proxy’s address.');
    }
    const chain = settings.trustedProxies ? forwardedChain(settings.forwardedHeader, c.req.header(settings.forwardedHeader)) : [];
    const client = resolveClient(peer, chain, settings.trustedProxies);
    return client ? clientKey(client) : null;
  };
}
