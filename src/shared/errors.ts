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

/** Anything thrown, as something the popup can show. Unknown failures keep their text but get a plain code. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof AppError) return error.toJSON();
  return { code: 'internal', message: error instanceof Error ? error.message : 'Something went wrong.' };
}
