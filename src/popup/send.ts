/**
 * The pages' side of the message protocol (shared/messages.ts): send a request to the service worker, get its
 * answer or a thrown `AppError`. Kept apart from the protocol's schemas, which only the worker needs.
 */
import browser from 'webextension-polyfill';
import { AppError } from '../shared/errors';
import type { Reply, Request, RequestOf, Responses } from '../shared/messages';

/**
 * Requests safe to send again when the worker was terminated before answering (MV3 kills idle workers, and a
 * killed worker drops its message channels). Writes are not: Agile CRM may already have done them.
 */
const RESENDABLE = new Set<Request['type']>(['openPopup', 'openPanel', 'getSession', 'lookup', 'search', 'contactDetails', 'getSettings']);

/**
 * Sends a request to the service worker and unwraps the answer; a failure arrives as a thrown `AppError`.
 *
 * @example const session = await send({ type: 'getSession' });
 */
export async function send<K extends Request['type']>(request: RequestOf<K>): Promise<Responses[K]> {
  const attempt = async (): Promise<Reply<Responses[K]> | undefined> => {
    try {
      return (await browser.runtime.sendMessage(request)) as Reply<Responses[K]> | undefined;
    } catch {
      return undefined;
    }
  };
  // A message after a termination starts a fresh worker; one sent while the old one is still going down can be
  // lost too, hence a short pause between tries.
  let reply = await attempt();
  for (const pause of RESENDABLE.has(request.type) ? [50, 250, 1000] : []) {
    if (reply) break;
    await new Promise((resolve) => setTimeout(resolve, pause));
    reply = await attempt();
  }
  if (!reply) throw new AppError('internal', 'The extension’s background worker stopped before answering. Try again.');
  if (!reply.ok) throw new AppError(reply.error.code, reply.error.message, reply.error.field);
  return reply.value;
}
