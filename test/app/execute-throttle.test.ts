import { describe, expect, it } from 'vitest';
import { groupId, instanceId, type Action } from '../../lambda/core/domain';
import { describeAction } from '../../lambda/app/describe-action';
import { executePlan, type ExecutionPorts } from '../../lambda/app/execute-plan';
import { createInMemoryPorts } from '../../lambda/sim/memory';

const throttle = {
  groupId: groupId('web'),
  instanceId: instanceId('i-0000000000000b001'),
  dimension: 'vcpu' as const,
  allocation: 1,
  observed: 1.5,
  excess: 0.5,
  since: 0,
  minutes: 15,
};
const action: Action = { kind: 'request-throttle', throttle, reason: 'over for 15 minutes' };
const noop: Action = { kind: 'noop', reason: 'after' };

const setup = () => {
  const p = createInMemoryPorts({ now: 1_000, cloud: { catalog: [], groups: [], instances: [] } });
  const ports: ExecutionPorts = { instances: p.cloud, capacity: p.cloud, state: p.stateStore, scheduler: p.scheduler, clock: p.clock, publisher: p.publisher };
  return { p, ports };
};

describe('executePlan: request-throttle', () => {
  it('publishes Throttle Requested with the throttle as its detail', async () => {
    const { p, ports } = setup();
    const report = await executePlan({ actions: [action], events: [] }, ports, { dryRun: false });
    expect(report.outcomes.map((o) => o.kind)).toEqual(['done']);
    expect(p.publisher.entries).toEqual([{ detailType: 'Throttle Requested', detail: throttle }]);
  });

  it('dry-run: skipped, nothing published', async () => {
    const { p, ports } = setup();
    const report = await executePlan({ actions: [action], events: [] }, ports, { dryRun: true });
    expect(report.outcomes).toEqual([{ kind: 'skipped', action, cause: 'dry-run', reason: 'dry-run' }]);
    expect(p.publisher.entries).toEqual([]);
  });

  it('fails visibly when there is no publisher, or the publish fails: the action is failed and what follows is not attempted', async () => {
    const { ports } = setup();
    const { publisher: _omitted, ...without } = ports;
    const none = await executePlan({ actions: [action, noop], events: [] }, without, { dryRun: false });
    expect(none.outcomes.map((o) => o.kind)).toEqual(['failed', 'skipped']);
    const failing = await executePlan(
      { actions: [action], events: [] },
      {
        ...ports,
        publisher: {
          publish: async () => {
            throw new Error('PutEvents throttled');
          },
        },
      },
      { dryRun: false },
    );
    expect(failing.outcomes[0]).toMatchObject({ kind: 'failed', error: { message: 'PutEvents throttled' } });
  });

  it('is described for spotwise plan', () => {
    expect(describeAction(action)).toBe('throttle i-0000000000000b001 in web on vcpu (publish Throttle Requested, 0.5 over): over for 15 minutes');
  });
});
