import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError, toErrorInfo } from '../../src/shared/errors';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('toErrorInfo', () => {
  it('keeps an AppError’s code, words and field', () => {
    expect(toErrorInfo(new AppError('bad_input', 'Keep it under 200 characters.', 'query'))).toEqual({ code: 'bad_input', message: 'Keep it under 200 characters.', field: 'query' });
  });

  it.each([new Error('Resource::kQuotaBytes quota exceeded'), new TypeError('Failed to fetch'), 'a string', undefined])(
    'never passes a browser’s raw message to the rep: %s',
    (failure) => {
      const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      expect(toErrorInfo(failure)).toEqual({ code: 'internal', message: 'Something went wrong in the extension. Try again.' });
      expect(logged).toHaveBeenCalledWith(failure);
    },
  );
});
