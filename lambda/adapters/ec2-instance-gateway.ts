import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type _InstanceType,
  type EC2Client,
  type Filter,
  type Instance,
  type InstanceTypeInfo,
} from '@aws-sdk/client-ec2';
import {
  groupId as toGroupId,
  instanceId as toInstanceId,
  type GroupId,
  type InstanceCatalog,
  type InstanceId,
  type InstanceState,
  type InstanceTypeSpec,
  type ManagedInstance,
  STANDBY_MARK_TAG,
} from '../core/domain';
import type { InstanceFilter, InstanceGateway } from '../ports/instance-gateway';
import { chunk } from './chunk';
import { callAws, InstanceNotStoppedError, NotFoundError, translateAwsError } from './errors';

/** Auto Scaling tags every instance it launches with its group's name (a reserved `aws:` tag). */
export const ASG_NAME_TAG = 'aws:autoscaling:groupName';
export const DEFAULT_PRIORITY_TAG = 'spotwise:priority';
export const DEFAULT_JOB_TYPE_TAG = 'spotwise:job-type';
import { UNKNOWN_JOB_TYPE } from '../core/domain';
export { UNKNOWN_JOB_TYPE };
/**
 * Priority of an instance that carries no valid priority tag and whose group gives none: the highest.
 * Fail closed: an instance whose priority cannot be evaluated is never the first victim of a voluntary
 * interruption.
 */
export const FAIL_CLOSED_PRIORITY = 100;

/**
 * Hourly prices by instance type. EC2 has no price API (On-Demand prices live in the AWS Price List
 * service, spot prices in DescribeSpotPriceHistory per AZ), so the caller supplies a table; the simulator's
 * price table (data/prices) is one.
 */
export type PriceTable = ReadonlyMap<string, Pick<InstanceTypeSpec, 'onDemandHourlyUsd' | 'spotHourlyUsd'>>;

export const priceTableFromSpecs = (specs: readonly InstanceTypeSpec[]): PriceTable =>
  new Map(
    specs.map((s) => [
      s.name,
      s.spotHourlyUsd === undefined ? { onDemandHourlyUsd: s.onDemandHourlyUsd } : { onDemandHourlyUsd: s.onDemandHourlyUsd, spotHourlyUsd: s.spotHourlyUsd },
    ]),
  );

export interface Ec2InstanceGatewayOptions {
  readonly prices: PriceTable;
  readonly priorityTagKey?: string;
  readonly jobTypeTagKey?: string;
}

/** DescribeInstances: at most 1000 results per page; InstanceIds cannot be combined with MaxResults. */
const DESCRIBE_PAGE_SIZE = 1000;
/** Ids per DescribeInstances call when filtering by id (keeps the request well under the URL/body limits). */
const IDS_PER_CALL = 200;
/** EC2 filters take at most 200 values each. */
const FILTER_VALUES_PER_CALL = 200;
/** DescribeInstanceTypes takes at most 100 type names per call. */
const TYPES_PER_CALL = 100;
/** Terminated instances stay visible for about an hour; they are never managed. */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/**
 * InstanceGateway over the EC2 API. Discovery pages through DescribeInstances; the type catalog is cached
 * for the life of the object (a Lambda container), since instance type shapes do not change.
 *
 * EC2 does not know whether an instance sits in a warm pool (that is Auto Scaling's view), so `warm` is
 * always false here; the profiler merges CapacityGateway.describeWarmPool.
 */
export class Ec2InstanceGateway implements InstanceGateway {
  private readonly catalog = new Map<string, InstanceTypeSpec>();
  private readonly priorityTagKey: string;
  private readonly jobTypeTagKey: string;

  constructor(
    private readonly client: EC2Client,
    private readonly options: Ec2InstanceGatewayOptions,
  ) {
    this.priorityTagKey = options.priorityTagKey ?? DEFAULT_PRIORITY_TAG;
    this.jobTypeTagKey = options.jobTypeTagKey ?? DEFAULT_JOB_TYPE_TAG;
  }

  /**
   * Live instances matching every given criterion (tag AND ids AND groups). Instances outside an Auto
   * Scaling group (no aws:autoscaling:groupName tag) are not managed and are left out.
   */
  async describeInstances(filter: InstanceFilter): Promise<ManagedInstance[]> {
    if (filter.instanceIds?.length === 0 || filter.groupIds?.length === 0) return [];
    const base: Filter[] = [{ Name: 'instance-state-name', Values: LIVE_STATES }];
    if (filter.tag !== undefined) base.push({ Name: `tag:${filter.tag.key}`, Values: [filter.tag.value] });
    const groupChunks = filter.groupIds === undefined ? [undefined] : chunk(filter.groupIds, FILTER_VALUES_PER_CALL);
    const idChunks = filter.instanceIds === undefined ? [undefined] : chunk(filter.instanceIds, IDS_PER_CALL);

    const found = new Map<string, ManagedInstance>();
    for (const groups of groupChunks) {
      for (const ids of idChunks) {
        const filters = groups === undefined ? base : [...base, { Name: `tag:${ASG_NAME_TAG}`, Values: [...groups] }];
        const operation = describeOperation(filter);
        let nextToken: string | undefined;
        do {
          const token = nextToken;
          const response = await callAws(operation, () =>
            this.client.send(
              new DescribeInstancesCommand({
                Filters: filters,
                ...(ids !== undefined ? { InstanceIds: [...ids] } : { MaxResults: DESCRIBE_PAGE_SIZE }),
                ...(token !== undefined ? { NextToken: token } : {}),
              }),
            ),
          );
          for (const reservation of response.Reservations ?? []) {
            for (const instance of reservation.Instances ?? []) {
              const managed = this.toManagedInstance(instance, filter.priorities);
              if (managed !== undefined) found.set(managed.id, managed);
            }
          }
          nextToken = response.NextToken === '' ? undefined : response.NextToken;
        } while (nextToken !== undefined);
      }
    }
    return [...found.values()];
  }

  /**
   * The catalog entries for the named types, fetched once per type and cached. A type missing from the
   * price table gets an infinite On-Demand price: it is still known (shape, discovery works) but never
   * chosen as the cheapest.
   */
  async describeInstanceTypes(names: readonly string[]): Promise<InstanceCatalog> {
    const wanted = [...new Set(names)];
    const missing = wanted.filter((n) => !this.catalog.has(n));
    for (const batch of chunk(missing, TYPES_PER_CALL)) {
      const operation = `describing instance types ${batch.join(', ')}`;
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const response = await callAws(operation, () =>
          this.client.send(
            new DescribeInstanceTypesCommand({
              InstanceTypes: batch as _InstanceType[],
              ...(token !== undefined ? { NextToken: token } : {}),
            }),
          ),
        );
        for (const info of response.InstanceTypes ?? []) {
          const spec = toInstanceTypeSpec(info, this.options.prices);
          if (spec !== undefined) this.catalog.set(spec.name, spec);
        }
        nextToken = response.NextToken === '' ? undefined : response.NextToken;
      } while (nextToken !== undefined);
    }
    const result = new Map<string, InstanceTypeSpec>();
    for (const name of wanted) {
      const spec = this.catalog.get(name);
      if (spec !== undefined) result.set(name, spec);
    }
    return result;
  }

  /**
   * Changes the type of a stopped instance. EC2 accepts ModifyInstanceAttribute InstanceType only on a
   * stopped instance (EC2 user guide, "Change the instance type"), so the state is read first and a
   * non-stopped instance is refused before any mutating call. If the instance starts between the check
   * and the call, EC2's IncorrectInstanceState is translated to the same typed error.
   */
  async retypeStoppedInstance(id: InstanceId, instanceType: string): Promise<void> {
    const operation = `changing the type of ${id} to ${instanceType}`;
    const response = await callAws(operation, () => this.client.send(new DescribeInstancesCommand({ InstanceIds: [id] })));
    const instance = response.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
    if (instance === undefined) throw new NotFoundError(operation, undefined, `instance ${id} not found`);
    const state = instance.State?.Name ?? 'unknown';
    if (state !== 'stopped') throw new InstanceNotStoppedError(operation, id, state);
    if (instance.InstanceType === instanceType) return;
    try {
      await this.client.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: instanceType } }));
    } catch (error) {
      if (error instanceof Error && error.name === 'IncorrectInstanceState') throw new InstanceNotStoppedError(operation, id, 'not stopped any more', error);
      throw translateAwsError(operation, error);
    }
  }

  async startInstances(ids: readonly InstanceId[]): Promise<void> {
    for (const batch of chunk(ids, IDS_PER_CALL)) {
      await callAws(`starting ${batch.join(', ')}`, () => this.client.send(new StartInstancesCommand({ InstanceIds: [...batch] })));
    }
  }

  /** Stops, or hibernates when asked (the instance must have been launched with hibernation enabled). */
  async stopInstances(ids: readonly InstanceId[], options: { readonly hibernate?: boolean } = {}): Promise<void> {
    const verb = options.hibernate === true ? 'hibernating' : 'stopping';
    for (const batch of chunk(ids, IDS_PER_CALL)) {
      await callAws(`${verb} ${batch.join(', ')}`, () =>
        this.client.send(new StopInstancesCommand({ InstanceIds: [...batch], ...(options.hibernate === true ? { Hibernate: true } : {}) })),
      );
    }
  }

  async terminateInstances(ids: readonly InstanceId[]): Promise<void> {
    for (const batch of chunk(ids, IDS_PER_CALL)) {
      await callAws(`terminating ${batch.join(', ')}`, () => this.client.send(new TerminateInstancesCommand({ InstanceIds: [...batch] })));
    }
  }

  async tagInstances(ids: readonly InstanceId[], tags: Readonly<Record<string, string>>): Promise<void> {
    const tagList = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    if (tagList.length === 0) return;
    for (const batch of chunk(ids, IDS_PER_CALL)) {
      await callAws(`tagging ${batch.join(', ')} with ${tagList.map((t) => t.Key).join(', ')}`, () =>
        this.client.send(new CreateTagsCommand({ Resources: [...batch], Tags: tagList })),
      );
    }
  }

  /** DeleteTags naming keys only (no Value): EC2 deletes each key whatever its value, and a missing key is no error. */
  async untagInstances(ids: readonly InstanceId[], keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    for (const batch of chunk(ids, IDS_PER_CALL)) {
      await callAws(`deleting tag(s) ${keys.join(', ')} of ${batch.join(', ')}`, () =>
        this.client.send(new DeleteTagsCommand({ Resources: [...batch], Tags: keys.map((Key) => ({ Key })) })),
      );
    }
  }

  private toManagedInstance(instance: Instance, priorities?: ReadonlyMap<GroupId, number>): ManagedInstance | undefined {
    const tags = new Map((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const group = tags.get(ASG_NAME_TAG);
    if (instance.InstanceId === undefined || group === undefined || group === '') return undefined;
    const gid = toGroupId(group);
    return {
      id: toInstanceId(instance.InstanceId),
      groupId: gid,
      instanceType: instance.InstanceType ?? 'unknown',
      availabilityZone: instance.Placement?.AvailabilityZone ?? 'unknown',
      // 'scheduled' and 'capacity-block' instances are not interruptible like spot: treat as On-Demand.
      lifecycle: instance.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
      state: toInstanceState(instance.State?.Name),
      launchedAt: instance.LaunchTime === undefined ? 0 : new Date(instance.LaunchTime).getTime(),
      warm: false,
      priority: parsePriority(tags.get(this.priorityTagKey)) ?? priorities?.get(gid) ?? FAIL_CLOSED_PRIORITY,
      jobType: nonEmpty(tags.get(this.jobTypeTagKey)) ?? UNKNOWN_JOB_TYPE,
      // Only 'enabled' sends 1-minute points; 'pending' (being turned on), 'disabling' and 'disabled' are read as basic.
      detailedMonitoring: instance.Monitoring?.State === 'enabled',
      ...(tags.has(STANDBY_MARK_TAG) ? { standbyMark: tags.get(STANDBY_MARK_TAG) ?? '' } : {}),
    };
  }
}

const describeOperation = (filter: InstanceFilter): string => {
  const parts: string[] = [];
  if (filter.tag !== undefined) parts.push(`tagged ${filter.tag.key}=${filter.tag.value}`);
  if (filter.groupIds !== undefined) parts.push(`in group(s) ${filter.groupIds.join(', ')}`);
  if (filter.instanceIds !== undefined) parts.push(`with id(s) ${filter.instanceIds.join(', ')}`);
  return `describing instances${parts.length > 0 ? ` ${parts.join(' ')}` : ''}`;
};

const STATES: ReadonlySet<string> = new Set<InstanceState>(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']);

/** EC2 state names are the domain's; an unknown one is reported as shutting-down (not usable, not stopped). */
export const toInstanceState = (name: string | undefined): InstanceState =>
  name !== undefined && STATES.has(name) ? (name as InstanceState) : 'shutting-down';

/** A priority tag must be a number in 0..100; anything else is ignored (and the default applies). */
export const parsePriority = (value: string | undefined): number | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 && n <= 100 ? n : undefined;
};

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value);

/**
 * Network bandwidth in Mbps: the sum of the network cards' baseline (what the instance sustains; "up to"
 * types burst above it only for a while). Older responses without a baseline fall back to the
 * NetworkPerformance text ("10 Gigabit", "Up to 5 Gigabit"); a text without a figure ("Moderate") gives 0,
 * which no network demand fits: unknown capacity is not counted as capacity.
 */
export const networkMbpsOf = (info: InstanceTypeInfo): number => {
  const cards = info.NetworkInfo?.NetworkCards ?? [];
  const baseline = cards.reduce((sum, c) => sum + (c.BaselineBandwidthInGbps ?? 0), 0);
  if (baseline > 0) return Math.round(baseline * 1000);
  const match = /([\d.]+)\s*Gigabit/i.exec(info.NetworkInfo?.NetworkPerformance ?? '');
  return match?.[1] !== undefined ? Math.round(Number(match[1]) * 1000) : 0;
};

/** EBS baseline IOPS of the type (EBS-optimized types); 0 when EC2 gives none (fail closed, as above). */
export const diskIopsOf = (info: InstanceTypeInfo): number => info.EbsInfo?.EbsOptimizedInfo?.BaselineIops ?? 0;

export const toInstanceTypeSpec = (info: InstanceTypeInfo, prices: PriceTable): InstanceTypeSpec | undefined => {
  const name = info.InstanceType;
  const vcpu = info.VCpuInfo?.DefaultVCpus;
  const memoryMiB = info.MemoryInfo?.SizeInMiB;
  if (name === undefined || vcpu === undefined || memoryMiB === undefined) return undefined;
  const price = prices.get(name);
  return {
    name,
    resources: { vcpu, memoryGiB: memoryMiB / 1024, networkMbps: networkMbpsOf(info), diskIops: diskIopsOf(info) },
    onDemandHourlyUsd: price?.onDemandHourlyUsd ?? Number.POSITIVE_INFINITY,
    ...(price?.spotHourlyUsd !== undefined ? { spotHourlyUsd: price.spotHourlyUsd } : {}),
  };
};
