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
  /** A failed answer's OAuth error code (`invalid_grant`…), so an operator sees why without any token or body. */
  error?: string;
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
    const entry: AccessLogEntry = { method: c.req.method, path: new URL(c.req.url).pathname.replace(/[^/]*(@|%40)[^/]*/gi, '<email>'), status: c.res.status, ms: Math.round(performance.now() - started) };
    if (c.res.status >= 400 && c.res.headers.get('content-type')?.includes('json')) {
      const body: unknown = await c.res.clone().json().catch(() => null);
      const code = body && typeof body === 'object' && 'error' in body ? body.error : null;
      // Only a code-shaped value: a body is never copied into the log.
      if (typeof code === 'string' && /^[a-z_]{1,40}$/.test(code)) entry.error = code;
    }
    write(entry);
  };
}
