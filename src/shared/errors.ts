/**
 * Failures the rep can see, each with a machine-readable code (the popup chooses what to offer: "Sign in",
 * "Try again") and a sentence in their words. Errors cross the worker → popup boundary as plain `{code, message}`.
 */
export type ErrorCode =
  | 'signed_out'
  | 'cancelled'
  | 'denied'
  | 'unreachable'
  | 'timeout'
  | 'rate_limited'
  | 'server'
  | 'rejected'
  | 'duplicate'
  | 'limit'
  | 'bad_input'
  | 'not_found'
  | 'no_page'
  | 'page_busy'
  | 'file_access'
  | 'no_access'
  | 'config'
  | 'internal';

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** The form field the error is about, when there is one (the options page points at it). */
  field?: string;
}

export class AppError extends Error implements ErrorInfo {
  override name = 'AppError';
  constructor(readonly code: ErrorCode, message: string, readonly field?: string) {
    super(message);
  }

  toJSON(): ErrorInfo {
    return { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) };
  }
}

/**
 * Anything thrown, as something the popup can show. A failure that is not an `AppError` (a browser API's own
 * message, such as "Resource::kQuotaBytes quota exceeded") is not in the rep's words: it is logged for whoever
 * debugs the extension, and the rep gets a plain sentence.
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof AppError) return error.toJSON();
  console.error(error);
  return { code: 'internal', message: 'Something went wrong in the extension. Try again.' };
}
