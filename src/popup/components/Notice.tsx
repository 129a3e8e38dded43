import type { ComponentChildren } from 'preact';
import type { ErrorInfo } from '../../shared/errors';

/** A message in the rep's words. Errors are announced to screen readers as alerts. */
export function Notice({ error, kind = 'error', children }: { error?: ErrorInfo | null; kind?: 'error' | 'info' | 'ok'; children?: ComponentChildren }) {
  if (!error && !children) return null;
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {error?.message}
      {children}
    </div>
  );
}
