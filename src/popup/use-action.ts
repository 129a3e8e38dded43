import { useRef, useState } from 'preact/hooks';
import { toErrorInfo, type ErrorInfo } from '../shared/errors';

export type ActionState = { status: 'idle' } | { status: 'busy' } | { status: 'done'; message: string } | { status: 'failed'; error: ErrorInfo };

/**
 * Runs one of the card's actions (add note, add tag…): busy while it runs, then a confirmation or the error.
 * What the rep typed is the form's draft (drafts.ts), so a failure never loses it; `onFailed` keeps the error with it. A second submit while one is
 * running is ignored (buttons stay focusable — `aria-disabled`, not `disabled` — so keyboard focus is not lost).
 */
export function useAction<A extends unknown[], T>(work: (...args: A) => Promise<T>, confirm: (value: T) => string, onFailed?: (error: ErrorInfo) => void) {
  const [state, setState] = useState<ActionState>({ status: 'idle' });
  const running = useRef(false);
  const run = async (...args: A): Promise<T | null> => {
    if (running.current) return null;
    running.current = true;
    setState({ status: 'busy' });
    try {
      const value = await work(...args);
      setState({ status: 'done', message: confirm(value) });
      return value;
    } catch (error) {
      const info = toErrorInfo(error);
      setState({ status: 'failed', error: info });
      onFailed?.(info);
      return null;
    } finally {
      running.current = false;
    }
  };
  return { state, run, busy: state.status === 'busy' };
}
