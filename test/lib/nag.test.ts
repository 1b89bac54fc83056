import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Peer, Port, SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ContextKey } from '../../lib/config/context-keys';
import { acknowledgeNag } from '../../lib/nag';
import { createSpotwiseApp } from '../../lib/app';
import { bareStack, synthSpotwise, testApp } from './helpers';

const CONFIGS: Record<string, Record<string, unknown>> = {
  'the default (example, dry-run)': {},
  'the example, active': { [ContextKey.dryRun]: 'false' },
  'the example, active, with lifecycle hooks on existing groups': { [ContextKey.dryRun]: 'false', [ContextKey.lifecycleHooks]: 'true' },
  'the demo': { [ContextKey.demo]: 'true' },
  'retraining disabled, active': {
    [ContextKey.config]: {
      groups: [{ name: 'g', policy: 'p', capacity: { vcpu: 1, memory_gib: 1 } }],
      policies: [{ policy_name: 'p', priority: 'medium' }],
      retraining: { enabled: false },
      dry_run: false,
    },
  },
  'tag-selected groups, active': {
    [ContextKey.config]: { group_tag: { key: 'team', value: 'web' }, policies: [{ policy_name: 'p', priority: 'medium' }], dry_run: false },
  },
};

/** Every acknowledgement in the tree, with where it sits. */
const acknowledgements = (root: IConstruct): { path: string; id: string; reason: string }[] =>
  root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        // aws-cdk-lib stores acknowledged rule ids with an "Annotation::" prefix (cdk-nag strips it too).
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason })),
      ),
  );

describe('cdk-nag AwsSolutions', () => {
  it.each(Object.entries(CONFIGS))('reports nothing unacknowledged for %s', (_name, context) => {
    const { stack } = synthSpotwise(context);
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('acknowledges only IAM wildcards, the SQS DLQ rule, ASG notifications and the EC26 rule error, each with its reason', () => {
    const { stack } = synthSpotwise({ [ContextKey.demo]: 'true', [ContextKey.lifecycleHooks]: 'true' });
    // CDK's own constructs acknowledge some of its built-in CloudFormation validation warnings; ours are AwsSolutions.
    const acks = acknowledgements(stack).filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.id).toMatch(/^(AwsSolutions-IAM5\[Resource::.+\]|AwsSolutions-SQS3|AwsSolutions-AS3|AwsSolutions-EC26)$/);
      expect(a.reason.length, `${a.id} at ${a.path}`).toBeGreaterThanOrEqual(20);
    }
    // Never an acknowledged wildcard *action*: every statement names its actions.
    expect(acks.filter((a) => a.id.includes('[Action::'))).toEqual([]);
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    const stack = createSpotwiseApp(testApp());
    new SecurityGroup(stack, 'Open', {
      vpc: new Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 1, restrictDefaultSecurityGroup: false }),
      description: 'x',
    }).addIngressRule(Peer.anyIpv4(), Port.tcp(22));
    expect(() => Template.fromStack(stack)).toThrow(/AwsSolutions-EC23/);
  });
});

describe('acknowledgeNag', () => {
  it.each(['', 'because', '   short reason   '])('refuses the reason %j', (reason) => {
    const stack = bareStack();
    expect(() => acknowledgeNag(stack, { id: 'AwsSolutions-SQS3', reason })).toThrow(
      `cdk-nag acknowledgement AwsSolutions-SQS3 on Test needs a reason of at least 20 characters (got ${JSON.stringify(reason)})`,
    );
  });
});
