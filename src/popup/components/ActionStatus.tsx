import type { ActionState } from '../use-action';

/**
 * The confirmation or failure under a form, in a live region that is always present (a region created together
 * with its text is often not announced).
 */
export function ActionStatus({ state }: { state: ActionState }) {
  return (
    <div class="live" role="status" aria-live="polite">
      {state.status === 'done' && <p class="notice notice-ok">{state.message}</p>}
      {state.status === 'failed' && <p class="notice notice-error" role="alert">{state.error.message}</p>}
    </div>
  );
}
