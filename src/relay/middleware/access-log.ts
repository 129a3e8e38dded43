import type { MiddlewareHandler } from 'hono';

export interface AccessLogEntry {
  method: string;
  /**
   * The path only: query strings can carry codes and states, and bodies carry tokens, so neither is logged.
   * Email addresses in proxied paths are masked too.
   */
  path: string;
  status: number;
  ms: number;
}

/**
 * One line per request, with nothing secret in it.
 *
 * @example app.use('*', accessLog((entry) => console.log(JSON.stringify(entry))));
 */
export function accessLog(write: (entry: AccessLogEntry) => void): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    write({ method: c.req.method, path: new URL(c.req.url).pathname.replace(/[^/]*(@|%40)[^/]*/gi, '<email>'), status: c.res.status, ms: Math.round(performance.now() - started) });
  };
}
