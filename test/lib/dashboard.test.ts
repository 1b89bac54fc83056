import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ContextKey } from '../../lib/config/context-keys';
import { SpotwiseDashboard } from '../../lib/dashboard';
import { MetricName } from '../../lambda/contracts/metrics';
import { bareStack, synthSpotwise } from './helpers';

interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly markdown?: string; readonly metrics?: unknown[][] };
}

/** The dashboard body as JSON, with `{Ref: AWS::Region}` pieces rendered as REGION. */
const dashboardWidgets = (template: Template): Widget[] => {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, (string | { Ref: string })[]] };
  const text = body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'REGION')).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
};

/** Each plotted series as [metricName, dimensions, stat] or ['SEARCH', expression]. */
const seriesOf = (w: Widget): unknown[][] =>
  (w.properties.metrics ?? []).map((m) => {
    const first = m[0];
    if (typeof first === 'object' && first !== null && 'expression' in first) return ['SEARCH', (first as { expression: string }).expression];
    const options = m.at(-1) as { stat?: string };
    // Average is the dashboards' default statistic, which CDK leaves out of the body.
    return [m[1], Object.fromEntries(chunk(m.slice(2, -1) as string[])), options.stat ?? 'Average'];
  });
const chunk = (list: string[]): [string, string][] => list.flatMap((x, i) => (i % 2 === 0 ? [[x, list[i + 1] as string] as [string, string]] : []));

const byTitle = (widgets: Widget[], title: string): unknown[][] => {
  const found = widgets.filter((w) => w.properties.title === title);
  expect(found, title).toHaveLength(1);
  return seriesOf(found[0] as Widget);
};

const search = (metric: string, dimension: string, stat: string) => [
  'SEARCH',
  `SEARCH('{Spotwise,service,${dimension}} MetricName="${metric}" service="spotwise"', '${stat}', 300)`,
];
const svc = { service: 'spotwise' };

describe('SpotwiseDashboard (spotwise.example.yaml)', () => {
  const widgets = dashboardWidgets(synthSpotwise().template);

  it('says which groups it shows and that spotwise runs in dry-run', () => {
    expect(widgets[0]?.properties.markdown).toBe('# spotwise (dry-run: plans only, no actions)\nManaged groups: `web-spot`, `batch-spot`.');
  });

  it('shows notices by kind, notice-to-last-action p50/p99, deferrals by reason, reservations', () => {
    expect(byTitle(widgets, 'Notices handled, by kind')).toEqual([search('NoticesHandled', 'NoticeKind', 'Sum')]);
    expect(byTitle(widgets, 'Notice to last action (s)')).toEqual([
      ['NoticeToLastActionSeconds', svc, 'p50'],
      ['NoticeToLastActionSeconds', svc, 'p99'],
    ]);
    expect(byTitle(widgets, 'Interruptions deferred, by reason')).toEqual([search('InterruptionsDeferred', 'Reason', 'Sum')]);
    expect(
      byTitle(widgets, 'Reservations, voluntary interruptions, unstable Spot pool shifts, throttles requested, loans made and revoked (by group)'),
    ).toEqual([
      ['ReservationsMade', svc, 'Sum'],
      ['ReservationRefusals', svc, 'Sum'],
      ['InterruptionsScheduled', svc, 'Sum'],
      search('UnstableSpotPoolShifts', 'GroupName', 'Sum'),
      search('ThrottlesRequested', 'GroupName', 'Sum'),
      search('LoansMade', 'GroupName', 'Sum'),
      search('LoansRevoked', 'GroupName', 'Sum'),
    ]);
    expect(byTitle(widgets, 'Events ignored (by kind) and malformed')).toEqual([search('IgnoredEvents', 'NoticeKind', 'Sum'), ['MalformedEvents', svc, 'Sum']]);
    expect(byTitle(widgets, 'Failed actions and fail-closed decisions; AWS call retries (right)')).toEqual([
      ['ActionFailures', svc, 'Sum'],
      search('ActionFailures', 'Reason', 'Sum'),
      ['FailClosedDecisions', svc, 'Sum'],
      ['AwsCallRetries', svc, 'Sum'],
    ]);
  });

  it('shows the retraining runs by outcome with the held-back loss, and the restart cycles learned by group, per day over 30 days', () => {
    const daily = (metric: string, dimension: string) => [
      'SEARCH',
      `SEARCH('{Spotwise,service,${dimension}} MetricName="${metric}" service="spotwise"', 'Sum', 86400)`,
    ];
    const runs = 'Model retraining: runs by outcome (per day); held-back vCPU weighted quantile loss of the model kept (right, lower is better)';
    expect(byTitle(widgets, runs)).toEqual([daily('RetrainingRuns', 'Outcome'), ['RetrainingHeldBackVcpuWql', svc, 'Average']]);
    const cycles =
      'Restart cycles learned (training cases stored per day), by group; restarts that filled their host, and inherited windows whose load never arrived (right)';
    expect(byTitle(widgets, cycles)).toEqual([
      daily('RestartCyclesLearned', 'GroupName'),
      daily('RestartsSaturated', 'GroupName'),
      daily('RestartWindowsWithoutLoad', 'GroupName'),
    ]);
    for (const title of [runs, cycles]) {
      const w = widgets.find((x) => x.properties.title === title) as Widget & { properties: { start?: string } };
      expect(w.properties.start, title).toBe('-P30D');
    }
  });

  it.each([
    ['web-spot', 'web-standby'],
    ['batch-spot', 'batch-spot'],
  ])('shows %s: pool capacity vs reserved vs used, forecast vs observed, warm pool (%s), profile age', (group, warmPoolGroup) => {
    const g = { GroupName: group, service: 'spotwise' };
    // The group-wide sum of forecasts sits with the group-wide pool amounts.
    expect(byTitle(widgets, `${group}: pool vCPU (capacity / reserved / used / post-restart forecast p90, sum over instances)`)).toEqual([
      ['PoolCapacityVcpu', g, 'Maximum'],
      ['PoolReservedVcpu', g, 'Maximum'],
      ['PoolUsedVcpu', g, 'Maximum'],
      ['ForecastVcpuP90', g, 'Maximum'],
      ['BorrowedVcpu', g, 'Maximum'],
    ]);
    expect(byTitle(widgets, `${group}: pool memory GiB (capacity / reserved / used), instances below their wanted allocation`)).toEqual([
      ['PoolCapacityMemoryGiB', g, 'Maximum'],
      ['PoolReservedMemoryGiB', g, 'Maximum'],
      ['PoolUsedMemoryGiB', g, 'Maximum'],
      ['BorrowedMemoryGiB', g, 'Maximum'],
      ['AllocationsBelowWanted', g, 'Maximum'],
    ]);
    // One restart's forecast against the same restart's observed peak, never the group's sum against one instance.
    expect(byTitle(widgets, `${group}: post-restart vCPU per restart, forecast p90 (before the interruption) vs observed peak`)).toEqual([
      ['PostRestartForecastVcpuP90', g, 'Average'],
      ['ObservedPostRestartVcpu', g, 'Average'],
      ['PostRestartPredictionError', g, 'Average'],
    ]);
    const warmTitle = `${group}: warm pool size${warmPoolGroup !== group ? ` (${warmPoolGroup})` : ''} and members running in Standby, profile age, instances on basic monitoring`;
    expect(byTitle(widgets, warmTitle)).toEqual([
      ['WarmPoolSize', { GroupName: warmPoolGroup, service: 'spotwise' }, 'Maximum'],
      ['RunningInStandby', g, 'Maximum'],
      ['ProfileAgeSeconds', g, 'Maximum'],
      ['InstancesOnBasicMonitoring', g, 'Maximum'],
      ['InstancesOnFiveMinuteCpu', g, 'Maximum'],
    ]);
  });

  it('mentions every metric the dashboard is meant to show', () => {
    const text = JSON.stringify(widgets);
    const shown = Object.values(MetricName).filter((name) => text.includes(`"${name}"`) || text.includes(`\\"${name}\\"`));
    // Not charted: per-tick bookkeeping that the dashboard's other graphs already reflect.
    const notCharted = [MetricName.profilesUpdated, MetricName.metricGaps];
    expect(shown.sort()).toEqual(
      Object.values(MetricName)
        .filter((n) => !notCharted.includes(n as never))
        .sort(),
    );
  });
});

describe('SpotwiseDashboard with tag-selected groups', () => {
  it('adds a row of SEARCH series per group name for groups unknown at synth', () => {
    const config = { group_tag: { key: 'team', value: 'web' }, policies: [{ policy_name: 'p', priority: 'medium' }] };
    const widgets = dashboardWidgets(synthSpotwise({ [ContextKey.config]: config }).template);
    expect(widgets[0]?.properties.markdown).toContain('none by name + every group carrying the selection tag');
    expect(byTitle(widgets, 'Tagged groups: pool vCPU capacity / reserved / used / post-restart forecast p90 (sum over instances)')).toEqual([
      search('PoolCapacityVcpu', 'GroupName', 'Maximum'),
      search('PoolReservedVcpu', 'GroupName', 'Maximum'),
      search('PoolUsedVcpu', 'GroupName', 'Maximum'),
      search('ForecastVcpuP90', 'GroupName', 'Maximum'),
      search('BorrowedVcpu', 'GroupName', 'Maximum'),
    ]);
    expect(byTitle(widgets, 'Tagged groups: post-restart vCPU per restart, forecast p90 (before the interruption) vs observed peak')).toEqual([
      search('PostRestartForecastVcpuP90', 'GroupName', 'Average'),
      search('ObservedPostRestartVcpu', 'GroupName', 'Average'),
      search('PostRestartPredictionError', 'GroupName', 'Average'),
    ]);
    expect(byTitle(widgets, 'Tagged groups: warm pool size, members running in Standby')).toEqual([
      search('WarmPoolSize', 'GroupName', 'Maximum'),
      search('RunningInStandby', 'GroupName', 'Maximum'),
    ]);
  });

  it('refuses to be built with no group at all', () => {
    expect(() => new SpotwiseDashboard(bareStack(), 'Dashboard', { groups: [], tagSelected: false, serviceName: 'spotwise', dryRun: true })).toThrow(
      'SpotwiseDashboard Test/Dashboard: groups must name at least one group unless groups are tag-selected (got [])',
    );
  });
});
