/**
 * The client address the relay's limits are counted by: strict IP parsing (checked against Node's own parser and
 * the WHATWG URL parser), IPv6 per /64, and forwarded headers read from the right so that nothing a client writes
 * can change who it is counted as.
 */
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientKey, forwardedChain, parseIp, parseTrustedProxies, resolveClient, type IpAddress, type TrustedProxies } from '../../src/relay/client-address';

const ip = (text: string): IpAddress => {
  const parsed = parseIp(text);
  if (!parsed) throw new Error(`not an IP: ${text}`);
  return parsed;
};
const keyOf = (address: IpAddress | null) => (address ? clientKey(address) : null);
const trusted = (text: string): TrustedProxies => {
  const parsed = parseTrustedProxies(text);
  if (!parsed.ok || !parsed.value) throw new Error(`bad setting: ${text}`);
  return parsed.value;
};

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((octets) => octets.join('.'));
const hextets = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 });
/** An IPv6 address written any legal way: case, leading zeros, one `::` over a run of zeros, a dotted tail. */
const ipv6 = fc.tuple(hextets, fc.boolean(), fc.boolean(), fc.nat(7), fc.nat(8), fc.boolean()).map(([words, upper, padded, at, length, dotted]) => {
  const parts = words.map((word) => {
    const text = word.toString(16);
    return (padded ? text.padStart(4, '0') : text)[upper ? 'toUpperCase' : 'toLowerCase']();
  });
  if (dotted) parts.splice(6, 2, `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`);
  const run = Math.min(length, parts.length - at);
  if (run < 1) return parts.join(':');
  const zeroed = [...parts.slice(0, at), ...parts.slice(at + run)];
  const head = parts.slice(0, at).join(':');
  const tail = parts.slice(at + run).join(':');
  return zeroed.length === parts.length ? parts.join(':') : `${head}::${tail}`;
});
/** Strings made of the characters addresses are made of: most are not addresses. */
const addressLike = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.'.split('')), maxLength: 45 });

describe('parseIp', () => {
  it('agrees with Node’s parser on what is an address', () => {
    fc.assert(fc.property(fc.oneof(ipv4, ipv6, addressLike), (text) => {
      expect(parseIp(text) !== null).toBe(isIP(text) !== 0);
    }), { numRuns: 3_000 });
  });

  it('reads every way of writing an IPv6 address as the address the URL parser reads', () => {
    fc.assert(fc.property(fc.oneof(ipv6, addressLike), (text) => {
      fc.pre(isIP(text) === 6);
      const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
      expect(parseIp(text)).toEqual(parseIp(canonical));
    }), { numRuns: 2_000 });
  });

  it('reads IPv4 addresses as their four octets, and IPv4-mapped IPv6 as IPv4', () => {
    fc.assert(fc.property(ipv4, (text) => {
      expect(Array.from(ip(text).bytes)).toEqual(text.split('.').map(Number));
      expect(parseIp(`::ffff:${text}`)).toEqual(ip(text));
      expect(parseIp(`::FFFF:${text}`)).toEqual(ip(text));
    }));
  });

  it.each(['01.2.3.4', '1.2.3', '0x7f.0.0.1', '127.1', '1.2.3.4.5', '256.1.1.1', ' 1.2.3.4', '1.2.3.4 ', '[::1]', '::1:', '1::2::3', '1.2.3.4%eth0',
    '::ffff:01.2.3.4', '12345::', 'localhost', '', '1.2.3.4:80', 'g::1', '::1.2.3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8'])('refuses %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('drops an IPv6 zone', () => {
    expect(parseIp('fe80::1%eth0')).toEqual(ip('fe80::1'));
  });
});

describe('clientKey', () => {
  it('names an IPv6 client by its /64: the same for every address in it, different for every other /64', () => {
    fc.assert(fc.property(hextets, hextets, (a, b) => {
      const left = ip(a.map((word) => word.toString(16)).join(':'));
      const right = ip([...a.slice(0, 4), ...b.slice(4)].map((word) => word.toString(16)).join(':'));
      const other = ip(b.map((word) => word.toString(16)).join(':'));
      fc.pre(left.version === 6 && right.version === 6 && other.version === 6);
      expect(clientKey(left)).toBe(clientKey(right));
      expect(clientKey(left) === clientKey(other)).toBe(a.slice(0, 4).join() === b.slice(0, 4).join());
    }));
    expect(clientKey(ip('2001:db8::1:2:3:4'))).toBe('2001:db8:0:0::/64');
    expect(clientKey(ip('203.0.113.7'))).toBe('203.0.113.7');
  });
});

describe('forwarded headers', () => {
  it('X-Forwarded-For: addresses with or without ports and brackets; anything else is not an address', () => {
    expect(forwardedChain('x-forwarded-for', '203.0.113.7:4711, [2001:db8::7]:443, 2001:db8::8,unknown, ,10.0.0.1').map(keyOf))
      .toEqual(['203.0.113.7', '2001:db8:0:0::/64', '2001:db8:0:0::/64', null, null, '10.0.0.1']);
  });

  it('Forwarded (RFC 7239): quoted nodes, ports, other parameters, unknown and obfuscated nodes', () => {
    const header = 'for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=https, proto=http;For="198.51.100.17:80", for=unknown, for=_hidden, by=10.0.0.1, for="x,y;z"';
    expect(forwardedChain('forwarded', header).map(keyOf)).toEqual(['192.0.2.43', '2001:db8:cafe:0::/64', '198.51.100.17', null, null, null, null]);
  });

  it('reads the proxies’ entries right whatever a client wrote before them (open quotes, commas, escapes)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), ipv4, (prefix, client) => {
      const chain = forwardedChain('forwarded', `${prefix}, for=${client};proto=https`);
      expect(keyOf(chain.at(-1) ?? null)).toBe(client);
      expect(keyOf(forwardedChain('x-forwarded-for', `${prefix}, ${client}`).at(-1) ?? null)).toBe(client);
    }));
  });
});

describe('resolveClient', () => {
  const proxy = ip('10.0.0.2');

  it('without trusted proxies, the socket’s peer, whatever the headers say', () => {
    fc.assert(fc.property(fc.string(), (header) => {
      expect(resolveClient(proxy, forwardedChain('x-forwarded-for', header), null)).toEqual(proxy);
    }));
  });

  it('a hop count: the address that many hops from the socket; fewer hops than that: the left-most', () => {
    const chain = forwardedChain('x-forwarded-for', '198.51.100.1, 203.0.113.7, 10.0.0.9');
    expect(keyOf(resolveClient(proxy, chain, trusted('1')))).toBe('10.0.0.9');
    expect(keyOf(resolveClient(proxy, chain, trusted('2')))).toBe('203.0.113.7');
    expect(keyOf(resolveClient(proxy, [], trusted('1')))).toBe('10.0.0.2');
    expect(keyOf(resolveClient(proxy, forwardedChain('x-forwarded-for', 'unknown'), trusted('1')))).toBe('10.0.0.2');
  });

  it('ranges: the right-most hop outside them; a peer outside them is the client, headers or not', () => {
    const ranges = trusted('10.0.0.0/8, 2001:db8::/32');
    expect(keyOf(resolveClient(proxy, forwardedChain('x-forwarded-for', '198.51.100.1, 203.0.113.7, 10.0.0.9'), ranges))).toBe('203.0.113.7');
    expect(keyOf(resolveClient(ip('198.51.100.9'), forwardedChain('x-forwarded-for', '203.0.113.7'), ranges))).toBe('198.51.100.9');
    expect(keyOf(resolveClient(proxy, forwardedChain('x-forwarded-for', '10.1.1.1, 10.0.0.9'), ranges))).toBe('10.1.1.1');
    expect(keyOf(resolveClient(proxy, forwardedChain('x-forwarded-for', 'garbage, 10.0.0.9'), ranges))).toBe('10.0.0.9');
  });

  it('nothing a client adds to the left of what the proxies wrote changes who it is', () => {
    const settings = fc.constantFrom(trusted('1'), trusted('10.0.0.0/8'), trusted('::ffff:10.0.0.0/104, 127.0.0.1'));
    const headers = fc.constantFrom<'x-forwarded-for' | 'forwarded'>('x-forwarded-for', 'forwarded');
    fc.assert(fc.property(settings, headers, fc.string({ maxLength: 60 }), ipv4, (setting, header, prefix, client) => {
      fc.pre(!client.startsWith('10.') && client !== '127.0.0.1');
      const appended = header === 'forwarded' ? `for=${client}` : client;
      expect(keyOf(resolveClient(proxy, forwardedChain(header, `${prefix}, ${appended}`), setting))).toBe(client);
    }));
  });
});

describe('RELAY_TRUSTED_PROXIES', () => {
  it.each(['0', '11', '10.0.0.0/33', '::/129', 'proxy.example', '10.0.0.1/8/1', 'fe80::1%eth0', '::ffff:10.0.0.0/90', '10.0.0.0/-1'])('refuses %j with words', (text) => {
    const parsed = parseTrustedProxies(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toMatch(/^RELAY_TRUSTED_PROXIES: /);
  });
  it('empty means none', () => {
    expect(parseTrustedProxies('  ')).toEqual({ ok: true, value: null });
  });

  it('any text is a setting or a problem in words, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.array(fc.oneof(ipv4, ipv6, addressLike, fc.string()), { maxLength: 4 }).map((parts) => parts.join('/'))), (text) => {
      const parsed = parseTrustedProxies(text);
      if (!parsed.ok) expect(parsed.problem).toMatch(/^RELAY_TRUSTED_PROXIES: /);
    }));
  });

  it('an IPv4 range holds exactly the addresses that share its prefix', () => {
    fc.assert(fc.property(ipv4, fc.nat(32), ipv4, (network, bits, candidate) => {
      const setting = trusted(`${network}/${bits}`);
      const prefix = (text: string) => text.split('.').map((octet) => Number(octet).toString(2).padStart(8, '0')).join('').slice(0, bits);
      const inside = prefix(candidate) === prefix(network);
      // Trusted hops are skipped: the client is the hop to their left when the peer is inside the range.
      expect(keyOf(resolveClient(ip(candidate), forwardedChain('x-forwarded-for', '192.0.2.1'), setting))).toBe(inside ? '192.0.2.1' : candidate);
    }));
  });
});
