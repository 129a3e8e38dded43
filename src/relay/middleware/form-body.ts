import type { Context } from 'hono';
import * as v from 'valibot';

export type FormResult<T> = { ok: true; value: T } | { ok: false; description: string };

/**
 * Reads an `application/x-www-form-urlencoded` body (the only encoding RFC 6749 token and RFC 7009 revocation
 * requests use) and validates it. The size is already capped by `bodyLimit` in front of it.
 *
 * @example const form = await readForm(c, TokenRequest); if (!form.ok) return oauthError(c, 400, 'invalid_request', form.description);
 */
export async function readForm<T extends v.GenericSchema>(c: Context, schema: T): Promise<FormResult<v.InferOutput<T>>> {
  if (!c.req.header('content-type')?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return { ok: false, description: 'Send the parameters as application/x-www-form-urlencoded.' };
  }
  const params = new URLSearchParams(await c.req.text());
  const fields: Record<string, string> = {};
  for (const [name, value] of params) {
    // RFC 6749 §3.2: parameters must not be repeated.
    if (name in fields) return { ok: false, description: `Parameter ${name} is repeated.` };
    fields[name] = value;
  }
  const parsed = v.safeParse(schema, fields);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const key = issue.path?.map((item) => String(item.key)).join('.');
    return { ok: false, description: key ? `Parameter ${key}: ${issue.message}` : issue.message };
  }
  return { ok: true, value: parsed.output };
}
