/**
 * The sign-in flow refuses what an attacker could slip into it: a forged or replayed `state`, a code from
 * another flow (bound to another PKCE verifier). Nothing is stored when it does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dumpStorage, signInThrough } from '../../scripts/extension';
import { createWorld, type World } from './setup';

let world: World;
afterEach(async () => {
  await world?.close();
});

async function signInWithTamperedResponse(tamper: (params: URLSearchParams) => void): Promise<string> {
  world.stack.sandbox.state.faults.tamperAuthorizationResponse = tamper;
  const popup = await world.popup();
  await signInThrough(world.ext, popup, world.consentUrl, (consent) => consent.locator('#allow').click());
  await popup.waitForSelector('.notice-error', { timeout: 15_000 });
  return popup.$eval('.notice-error', (notice) => notice.textContent ?? '');
}

describe('what pages can reach', () => {
  it('a script in a web page (where the scanner runs) cannot read the extension’s storage', async () => {
    world = await createWorld();
    await world.signIn();
    const page = (await world.ext.browser.pages()).find((candidate) => candidate.url() === world.demoUrl)!;
    await page.bringToFront();
    const worker = await world.ext.worker();
    const seen = await worker.evaluate(async () => {
      const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
      const [result] = await chrome.scripting.executeScript({
        target: { tabId: tab!.id! },
        func: () => chrome.storage.local.get(null).then((items) => JSON.stringify(items), (error: Error) => `refused: ${error.message}`),
      });
      return result?.result as string;
    });
    expect(seen).toMatch(/^refused/);
    expect(seen).not.toMatch(/refreshToken/);
  });
});

describe('the authorization response', () => {
  it('a forged state is refused before any code is exchanged', async () => {
    world = await createWorld();
    const message = await signInWithTamperedResponse((params) => params.set('state', 'forged-by-attacker'));
    expect(message).toMatch(/did not match this sign-in/);
    expect(world.stack.sandbox.state.count('token.authorization_code')).toBe(0);
    expect(await dumpStorage(world.ext)).not.toMatch(/grant|token/i);
  });

  it('a missing state is refused', async () => {
    world = await createWorld();
    const message = await signInWithTamperedResponse((params) => params.delete('state'));
    expect(message).toMatch(/did not match this sign-in/);
    expect(world.stack.sandbox.state.count('token.authorization_code')).toBe(0);
  });

  it('a replayed response from an earlier flow (its state and code) is refused', async () => {
    world = await createWorld();
    let earlier = new URLSearchParams();
    await signInWithTamperedResponse((params) => {
      earlier = new URLSearchParams(params);
      params.set('error', 'access_denied');
      params.delete('code');
    });
    const message = await signInWithTamperedResponse((params) => {
      params.set('state', earlier.get('state')!);
      params.set('code', earlier.get('code')!);
    });
    expect(message).toMatch(/did not match this sign-in/);
    expect(world.stack.sandbox.state.count('token.authorization_code')).toBe(0);
  });

  it('OAuth mode: an upstream that names itself (RFC 9207 iss) is checked against OAUTH_ISSUER', async () => {
    world = await createWorld({ sandbox: { sendIssuer: true, discovery: 'oauth' }, relayEnv: (sandbox) => ({ OAUTH_ISSUER: sandbox }) });
    await world.signIn();
    expect(JSON.parse(await dumpStorage(world.ext)).local.grant).toBeDefined();
    await world.close();

    // The same upstream, with the relay not told who it is: the foreign issuer is refused, and the words say
    // which variable the relay's operator sets.
    world = await createWorld({ sandbox: { sendIssuer: true } });
    const popup = await world.popup();
    await signInThrough(world.ext, popup, world.consentUrl, (consent) => consent.locator('#allow').click());
    await popup.waitForSelector('.notice-error', { timeout: 15_000 });
    const sandbox = world.stack.sandbox.url;
    expect(await popup.$eval('.notice-error', (notice) => notice.textContent)).toBe(
      `The sign-in provider answered as ${sandbox}, which the relay was not told to expect. If that is your provider, the relay's operator should set OAUTH_ISSUER=${sandbox}. Nothing was saved.`,
    );
    expect(world.stack.sandbox.state.count('token.authorization_code')).toBe(0);
  });

  it('a code from another flow (with this flow’s state) fails PKCE at the token endpoint', async () => {
    world = await createWorld();
    let stolen = '';
    await signInWithTamperedResponse((params) => {
      stolen = params.get('code')!;
      params.delete('code');
      params.set('error', 'access_denied');
    });
    const message = await signInWithTamperedResponse((params) => params.set('code', stolen));
    expect(message).toMatch(/^The sign-in provider refused: invalid_grant — code_verifier does not match/);
    expect(world.stack.sandbox.state.count('token.authorization_code')).toBe(1);
    expect(await dumpStorage(world.ext)).not.toMatch(/grant|token/i);
  });
});
