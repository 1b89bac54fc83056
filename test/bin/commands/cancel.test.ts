import { describe, expect, it, vi } from 'vitest';
import { runCancel } from '../../../bin/commands/cancel';

describe('spotwise cancel: bad input exits 2 before any AWS call, naming the argument or flag', () => {
  it.each([
    ['a request id that cannot be one', 'a/b', {}, 'spotwise cancel: REQUEST_ID: expected 1-64 characters of letters, digits, "_", "." or "-" (got "a/b")'],
    [
      'no table',
      'req-1',
      { bus: 'b' },
      "spotwise cancel: --table: spotwise's state table is needed: give --table NAME or set SPOTWISE_TABLE_NAME (got nothing)",
    ],
    ['no bus', 'req-1', { table: 't' }, "spotwise cancel: --bus: spotwise's event bus is needed: give --bus NAME or set SPOTWISE_EVENT_BUS_NAME (got nothing)"],
    ['an empty reason', 'req-1', { table: 't', bus: 'b', reason: '' }, 'spotwise cancel: --reason: expected 1..512 characters (got 0)'],
  ])('%s', async (_what, id, opts, message) => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await runCancel(id, opts, {})).toBe(2);
      expect(error).toHaveBeenCalledWith(message);
    } finally {
      error.mockRestore();
    }
  });
});
