import { relayEnvFor } from './scripts/dev-stack';
import { bundle, startProcess, mintRefreshToken, pinSelf } from './bench/processes';
import { extensionOrigin, PINNED_EXTENSION_ID } from './src/shared/extension-id';
import { DEV_CLIENT } from './src/sandbox/node';
const pin = process.env.PIN === '1';
const chains = Number(process.env.CHAINS ?? 8);
if (pin) pinSelf(0);
const sandbox = await startProcess(await bundle('src/sandbox/node.ts', 'sandbox'), { SANDBOX_PORT: '0' }, pin ? 0 : undefined);
const relay = await startProcess(await bundle('src/relay/node.ts', 'relay'), { ...relayEnvFor('oauth', sandbox.url), RELAY_PORT: '0' }, pin ? 1 : undefined);
const basic = `Basic ${btoa(`${DEV_CLIENT.clientId}:${DEV_CLIENT.clientSecret}`)}`;
async function load(target: 'direct' | 'relay') {
  const tokens = await Promise.all(Array.from({ length: chains }, () => mintRefreshToken(sandbox.url)));
  const t0 = performance.now(); let n = 0;
  await Promise.all(tokens.map(async (tok) => { let t = tok; for (let i = 0; i < 40; i++) {
    const r = target === 'direct' ? await fetch(`${sandbox.url}/oauth/token`, { method: 'POST', headers: { Authorization: basic }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t }) })
      : await fetch(`${relay.url}/token`, { method: 'POST', headers: { Origin: extensionOrigin(PINNED_EXTENSION_ID) }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t }) });
    t = (await r.json() as { refresh_token: string }).refresh_token; n++; } }));
  return n / ((performance.now() - t0) / 1000);
}
for (let i = 0; i < 8; i++) { await load('direct'); await load('relay'); }
const d: number[] = [], r: number[] = [];
for (let i = 0; i < 8; i++) { d.push(await load('direct')); r.push(await load('relay')); }
const med = (a: number[]) => a.sort((x, y) => x - y)[4]!;
console.log(`pin=${pin} chains=${chains} direct ${med(d).toFixed(0)} relay ${med(r).toFixed(0)} ratio ${(med(r) / med(d)).toFixed(2)}`);
await relay.stop(); await sandbox.stop();
