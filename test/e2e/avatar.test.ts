/**
 * A contact's picture URL is contact data: whoever can set it must not learn when a rep looks at the contact.
 * Chromium resolves the picture hosts to a real HTTPS server on loopback that counts every request, so the test
 * sees exactly which hosts the popup contacted: Agile CRM's own picture hosts, never a tracker.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseContact } from '../../src/shared/contact';
import { clearContactCache, createWorld, type World } from './setup';

/** A 1×1 PNG. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
const HASH = '0bc83cb571cd1c50ba6f3e8a78ef1346';

let world: World;
let pictures: Server;
const hits: Array<{ host: string; url: string }> = [];

/** A throwaway self-signed certificate (Chromium is told to accept it for this test only). */
function certificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agile-pictures-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=pictures.test',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  pictures = createServer(certificate(), (request, response) => {
    hits.push({ host: request.headers.host ?? '', url: request.url ?? '' });
    response.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'no-store' }).end(PIXEL);
  });
  await new Promise<void>((resolve) => pictures.listen(0, '127.0.0.1', resolve));
  const { port } = pictures.address() as { port: number };
  const hosts = ['tracker.example', 'secure.gravatar.com', 'www.gravatar.com', 's3.amazonaws.com'];
  world = await createWorld({
    browserArgs: [`--host-resolver-rules=${hosts.map((host) => `MAP ${host} 127.0.0.1:${port}`).join(', ')}`, '--ignore-certificate-errors'],
  });
  await world.signIn();
});
afterAll(async () => {
  await world?.close();
  await new Promise((resolve) => pictures?.close(resolve));
});

describe('contact pictures', () => {
  it('load from Agile CRM’s picture hosts only: a tracker host is never contacted, and its contact shows initials', async () => {
    const state = world.stack.sandbox.state;
    const [tracked, gravatar, uploaded, plain] = state.seed.demoKnownEmails;
    const setImage = (email: string, value: string) => {
      const contact = state.contactByEmail(email)!;
      contact.properties = [...contact.properties.filter((property) => property.name !== 'image'), { type: 'SYSTEM', name: 'image', value }];
      return parseContact(contact).name;
    };
    const names = {
      tracked: setImage(tracked!, 'https://tracker.example/pixel.png?contact=1'),
      // A Gravatar URL whose default image is the tracker: Gravatar would fetch or redirect to it.
      gravatar: setImage(gravatar!, `https://www.gravatar.com/avatar/${HASH}?d=https%3A%2F%2Ftracker.example%2Fdefault.png`),
      uploaded: setImage(uploaded!, 'https://s3.amazonaws.com/agilecrm/panel/uploaded-logo/1370348163437?id=contact-container'),
      plain: setImage(plain!, 'https://s3.amazonaws.com/tracker-bucket/pixel.png'),
    };
    await clearContactCache(world);
    const popup = await world.popup();
    const avatar = async (name: string) => {
      const card = await popup.waitForSelector(`::-p-xpath(//article[.//h2[normalize-space()="${name}"]])`, { timeout: 15_000 });
      return card!.$eval('.avatar', (element) => ({ tag: element.tagName, src: element.getAttribute('src'), text: element.textContent }));
    };
    // The allowed pictures are asked for: the server sees them, so it would see a tracker's too.
    const deadline = Date.now() + 15_000;
    while (!(hits.some((hit) => hit.host === 'secure.gravatar.com') && hits.some((hit) => hit.host === 's3.amazonaws.com')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(hits.filter((hit) => !['secure.gravatar.com', 's3.amazonaws.com'].includes(hit.host))).toEqual([]);
    expect(await avatar(names.gravatar)).toMatchObject({ tag: 'IMG', src: `https://secure.gravatar.com/avatar/${HASH}?s=72&d=404` });
    expect(await avatar(names.uploaded)).toMatchObject({ tag: 'IMG' });
    expect(await avatar(names.tracked)).toMatchObject({ tag: 'SPAN', src: null });
    expect(await avatar(names.plain)).toMatchObject({ tag: 'SPAN', src: null });
    expect(hits.filter((hit) => hit.host === 'secure.gravatar.com').map((hit) => hit.url)).toEqual([`/avatar/${HASH}?s=72&d=404`]);
    expect(hits.filter((hit) => hit.host === 's3.amazonaws.com').map((hit) => hit.url)).toEqual(['/agilecrm/panel/uploaded-logo/1370348163437?id=contact-container']);
    await cspBlocks(popup);
  });
});

/** Defense in depth: even an image the code did let through would not load from a host outside the manifest's img-src. */
async function cspBlocks(popup: Page): Promise<void> {
  const loaded = await popup.evaluate(() => Promise.all(['https://tracker.example/csp-probe.png', 'https://s3.amazonaws.com/tracker-bucket/csp-probe.png'].map((src) =>
    new Promise<boolean>((resolve) => {
      const image = new Image();
      image.onload = () => resolve(true);
      image.onerror = () => resolve(false);
      image.src = src;
    }))));
  expect(loaded).toEqual([false, false]);
  expect(hits.filter((hit) => hit.url.includes('csp-probe'))).toEqual([]);
}
