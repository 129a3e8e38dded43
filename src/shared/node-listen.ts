/**
 * Serves a web-standard fetch handler on loopback from Node (the sandbox and the relay's Node listener).
 * Port 0 picks a free port; the URL it got is returned.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** @example const { url, close } = await listen(app.fetch, { port: 0 }); */
export function listen(fetch: (request: Request) => Response | Promise<Response>, options: { port?: number; host?: string } = {}): Promise<Listening> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: options.port ?? 0, hostname: host }, (info: AddressInfo) => {
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
      resolve({
        url,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
    server.once('error', reject);
  });
}

/** True when this module is the script Node was started with (`tsx src/relay/node.ts`). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return !!entry && new URL(moduleUrl).pathname.replace(/\.[cm]?[jt]s$/, '') === entry.replace(/\.[cm]?[jt]s$/, '');
}
