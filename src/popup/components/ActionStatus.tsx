import type { ActionState } from '../use-action';
import { Notice } from './Notice';

/** The confirmation or failure under a form. */
export function ActionStatus({ state }: { state: ActionState }) {
  if (state.status === 'done') return <Notice kind="ok">{state.message}</Notice>;
  if (state.status === 'failed') return <Notice error={state.error} />;
  return null;
}
