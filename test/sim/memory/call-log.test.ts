import { describe, expect, it } from 'vitest';
import { CallJournal, CallLog, ScriptedFailure } from '../../../lambda/sim/memory/call-log';

type Op = 'read' | 'write';
const make = (journal?: CallJournal) => new CallLog<Op>('fake', new Set<Op>(['write']), journal);

describe('CallLog', () => {
  it('records calls in order with their arguments', () => {
    const log = make();
    log.record('read', [1]);
    log.record('write', ['a', 2]);
    expect(log.calls.map((c) => [c.operation, c.args])).toEqual([
      ['read', [1]],
      ['write', ['a', 2]],
    ]);
    expect(log.count('write')).toBe(1);
    expect(log.mutatingCalls().map((c) => c.operation)).toEqual(['write']);
  });

  it('fails the next call only, records it as failed, then succeeds', () => {
    const log = make();
    const boom = new Error('boom');
    log.failNext('write', boom);
    expect(() => log.record('write', [])).toThrow(boom);
    expect(() => log.record('write', [])).not.toThrow();
    expect(log.calls.map((c) => c.failed)).toEqual([true, false]);
  });

  it('queues faults and honours times', () => {
    const log = make();
    log.failNext('read', new Error('a'), 2);
    log.failNext('read', new Error('b'));
    const outcomes = [0, 1, 2, 3].map(() => {
      try {
        log.record('read', []);
        return 'ok';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(outcomes).toEqual(['a', 'a', 'b', 'ok']);
  });

  it('failAlways until cleared; the default error names fake and operation', () => {
    const log = make();
    log.failAlways('read');
    expect(() => log.record('read', [])).toThrow(ScriptedFailure);
    expect(() => log.record('read', [])).toThrow('scripted failure of fake.read');
    log.clearFailures();
    expect(() => log.record('read', [])).not.toThrow();
  });

  it('rejects a non-positive times', () => {
    expect(() => make().failNext('read', new Error('x'), 0)).toThrow('positive integer (got 0)');
  });

  it('a shared journal orders calls across fakes', () => {
    const journal = new CallJournal();
    const a = new CallLog<Op>('a', new Set(), journal);
    const b = new CallLog<Op>('b', new Set(), journal);
    a.record('read', []);
    b.record('write', []);
    a.record('write', []);
    expect(journal.sequence()).toEqual(['a.read', 'b.write', 'a.write']);
    expect(journal.calls.map((c) => c.seq)).toEqual([1, 2, 3]);
  });

  it('a journal that keeps no calls still numbers them and fires scripted faults', () => {
    const journal = new CallJournal({ keepCalls: false });
    const log = make(journal);
    log.record('read', [1]);
    log.failNext('write');
    expect(() => log.record('write', [])).toThrow('scripted failure of fake.write');
    expect(log.calls).toEqual([]);
    expect(journal.calls).toEqual([]);
    expect(journal.next()).toBe(3);
  });
});
