/**
 * Runs the Agile CRM sandbox on loopback.
 *
 *   npm run sandbox                         # http://127.0.0.1:8788, demo page at /demo
 *   SANDBOX_PORT=0 npm run sandbox          # any free port
 *
 * The development OAuth client (id `agile-crm-extension-dev`) is registered for the pinned extension in Chromium and
 * in Firefox.
 */
import { chromiumRedirectUri, PINNED_EXTENSION_ID, PINNED_FIREFOX_REDIRECT_URI } from '../shared/extension-id';
import { isMain, listen, type Listening } from '../shared/node-listen';
import { createSandbox } from './app';
import type { OAuthClient, SandboxOptions, SandboxState } from './state';

export const DEV_CLIENT: OAuthClient = {
  clientId: 'agile-crm-extension-dev',
  clientSecret: 'dev-secret-not-for-production',
  redirectUris: [chromiumRedirectUri(PINNED_EXTENSION_ID), PINNED_FIREFOX_REDIRECT_URI],
};

export interface SandboxServer extends Listening {
  state: SandboxState;
}

/** @example const sandbox = await startSandbox({ clients: [DEV_CLIENT] }); fetch(`${sandbox.url}/demo`) */
export async function startSandbox(options: SandboxOptions & { port?: number; host?: string } = {}): Promise<SandboxServer> {
  const { port, host, ...sandboxOptions } = options;
  const { app, state } = createSandbox({ clients: [DEV_CLIENT], ...sandboxOptions });
  const server = await listen(app.fetch, { port, host });
  return { ...server, state };
}

if (isMain(import.meta.url)) {
  const sandbox = await startSandbox({
    port: Number(process.env.SANDBOX_PORT ?? 8788),
    accessTokenTtl: process.env.SANDBOX_ACCESS_TOKEN_TTL ? Number(process.env.SANDBOX_ACCESS_TOKEN_TTL) : undefined,
  });
  console.log(`Agile CRM sandbox on ${sandbox.url} — demo page ${sandbox.url}/demo`);
  for (const user of sandbox.state.users) console.log(`  user ${user.email}  password ${user.password}  API key ${user.apiKey}`);
  process.once('SIGINT', () => void sandbox.close().then(() => process.exit(0)));
  process.once('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
}
