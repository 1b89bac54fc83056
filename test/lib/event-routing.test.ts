import { describe, expect, it } from 'vitest';
import { DetailType } from '../../lambda/contracts/events';
import { handledEventTypes } from '../../lambda/events/registry';
import { synthSpotwise } from './helpers';

/** The (source, detail-type) pairs the stack's EventBridge rules deliver: by pattern, or as a scheduled rule's input. */
const routedPairs = (): Set<string> => {
  const { template } = synthSpotwise();
  const pairs = new Set<string>();
  for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) {
    const props = rule.Properties as {
      EventPattern?: { source?: string[]; 'detail-type'?: string[] };
      Targets?: { InputTransformer?: { InputTemplate?: string } }[];
    };
    for (const source of props.EventPattern?.source ?? []) for (const dt of props.EventPattern?.['detail-type'] ?? []) pairs.add(`${source}/${dt}`);
    for (const target of props.Targets ?? []) {
      const input = target.InputTransformer?.InputTemplate;
      if (input === undefined) continue;
      const source = /"source":"([^"]+)"/.exec(input)?.[1];
      const dt = /"detail-type":"([^"]+)"/.exec(input)?.[1];
      if (source !== undefined && dt !== undefined) pairs.add(`${source}/${dt}`);
    }
  }
  return pairs;
};

describe('event routing: the stack and the parser registry agree', () => {
  const routed = routedPairs();
  const handled = new Set(handledEventTypes().map((t) => `${t.source}/${t.detailType}`));

  it('every (source, detail-type) a rule delivers has a parser (none arrives only to be dropped as a noop)', () => {
    expect(routed.size).toBeGreaterThanOrEqual(10);
    expect([...routed].filter((p) => !handled.has(p))).toEqual([]);
  });

  it('every parsed (source, detail-type) is delivered by a rule, but Interruption Due (spotwise schedules it at run time)', () => {
    expect([...handled].filter((p) => !routed.has(p))).toEqual([`spotwise/${DetailType.interruptionDue}`]);
  });
});
