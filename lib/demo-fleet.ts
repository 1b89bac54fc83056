import { RemovalPolicy, Tags } from 'aws-cdk-lib';
import { AutoScalingGroup, BlockDeviceVolume, EbsDeviceVolumeType, PoolState, SpotAllocationStrategy } from 'aws-cdk-lib/aws-autoscaling';
import {
  AmazonLinuxCpuType,
  FlowLogDestination,
  FlowLogTrafficType,
  InstanceType,
  LaunchTemplate,
  MachineImage,
  SecurityGroup,
  SubnetType,
  UserData,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { addSpotwiseLifecycleHooks } from './lifecycle-hooks';
import { acknowledgeNag } from './nag';

/** Where the CloudWatch agent reads its configuration on Amazon Linux 2023. */
export const AGENT_CONFIG_PATH = '/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json';
/** The demo workload's package and command. */
export const DEMO_WORKLOAD_PACKAGE = 'stress-ng';

export interface DemoWarmPool {
  readonly min_size: number;
  readonly max_prepared_capacity: number;
  readonly pool_state: 'Stopped' | 'Running' | 'Hibernated';
  readonly reuse_on_scale_in: boolean;
}

export interface DemoFleetProps {
  /** The primary Spot group: its name and the instance types it may launch (mixed instances). */
  readonly primary: { readonly name: string; readonly instanceTypes: readonly string[] };
  /** The standby On-Demand group: its name, launch type and warm pool (from the configuration). */
  readonly standby: { readonly name: string; readonly instanceType: string; readonly warmPool: DemoWarmPool };
  /** Tag on both groups, propagated to their instances: the IAM conditions of spotwise's mutating calls need it. */
  readonly managedTag: { readonly key: string; readonly value: string };
  /**
   * CloudWatch agent configuration (lambda/adapters/cloudwatch-agent-config.json), written by user data.
   * @default - the agent is not installed; spotwise then works on EC2's own metrics and reports the guessed dimensions
   */
  readonly agentConfig?: Readonly<Record<string, unknown>>;
  /** Add spotwise's lifecycle hooks to both groups (not in dry-run: nobody would complete the actions). */
  readonly lifecycleHooks: boolean;
  /**
   * Size of the primary group.
   * @default { min: 2, max: 4 }
   */
  readonly primarySize?: { readonly min: number; readonly max: number };
}

/**
 * The demo (`-c demo=true`): a small VPC of public subnets in two AZs without NAT gateways (nothing to pay
 * for while idle), a primary Spot group (mixed Graviton types, price-capacity-optimized, capacity
 * rebalancing) and a standby On-Demand group with a Stopped warm pool that reuses instances on scale-in. A
 * warm pool cannot be attached to a Spot/mixed-instances group, hence two groups. Instances run the
 * CloudWatch agent (CPU each minute, memory, connections; EC2 detailed monitoring off) and a small steady workload.
 */
export class DemoFleet extends Construct {
  readonly vpc: Vpc;
  readonly primary: AutoScalingGroup;
  readonly standby: AutoScalingGroup;

  constructor(scope: Construct, id: string, props: DemoFleetProps) {
    super(scope, id);
    const path = this.node.path;
    if (props.primary.instanceTypes.length === 0) throw new Error(`DemoFleet ${path}: primary.instanceTypes must name at least one instance type (got [])`);
    const size = props.primarySize ?? { min: 2, max: 4 };
    if (!Number.isInteger(size.min) || !Number.isInteger(size.max) || size.min < 0 || size.max < Math.max(1, size.min)) {
      throw new Error(`DemoFleet ${path}: primarySize must satisfy 0 <= min <= max and max >= 1 (got ${JSON.stringify(size)})`);
    }
    const wp = props.standby.warmPool;
    if (wp.max_prepared_capacity !== -1 && wp.max_prepared_capacity < wp.min_size) {
      throw new Error(
        `DemoFleet ${path}: standby.warmPool.max_prepared_capacity must be -1 or at least min_size ${wp.min_size} (got ${wp.max_prepared_capacity})`,
      );
    }

    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      restrictDefaultSecurityGroup: false,
    });
    const flowLogs = new LogGroup(this, 'FlowLogs', { retention: RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    // Rejected traffic only: enough to debug a security group, a fraction of the cost of ALL.
    this.vpc.addFlowLog('FlowLog', { destination: FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: FlowLogTrafficType.REJECT });

    const securityGroup = new SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: this.vpc,
      description: 'spotwise demo instances: no inbound traffic; outbound for packages and CloudWatch',
      allowAllOutbound: true,
    });

    const role = new Role(this, 'InstanceRole', { assumedBy: new ServicePrincipal('ec2.amazonaws.com'), description: 'spotwise demo instances' });
    const agentNamespace = agentMetricsNamespace(props.agentConfig);
    if (agentNamespace !== undefined) {
      // PutMetricData has no resource-level permissions; the namespace condition keeps the agent to CWAgent.
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': agentNamespace } },
        }),
      );
      acknowledgeNag(role, {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:PutMetricData supports no resource-level permissions; the statement is limited to the agent namespace by the cloudwatch:namespace condition.',
      });
    }

    const userData = demoUserData(props.agentConfig);
    const template = (name: string, instanceType: string): LaunchTemplate =>
      new LaunchTemplate(this, name, {
        machineImage: MachineImage.latestAmazonLinux2023({ cpuType: AmazonLinuxCpuType.ARM_64 }),
        instanceType: new InstanceType(instanceType),
        userData,
        role,
        securityGroup,
        requireImdsv2: true,
        // EC2 basic monitoring (free): the profiler reads CPU from the CloudWatch agent each minute (cpu_usage_active in
        // the agent configuration) and network and disk from EC2's 5-minute points. Detailed monitoring would bill 7
        // metrics per instance ($2.10 per instance-month) for the same availability in the simulator (README).
        detailedMonitoring: false,
        blockDevices: [{ deviceName: '/dev/xvda', volume: BlockDeviceVolume.ebs(10, { encrypted: true, volumeType: EbsDeviceVolumeType.GP3 }) }],
      });

    const [firstType] = props.primary.instanceTypes as [string, ...string[]];
    this.primary = new AutoScalingGroup(this, 'Primary', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      autoScalingGroupName: props.primary.name,
      minCapacity: size.min,
      maxCapacity: size.max,
      capacityRebalance: true,
      mixedInstancesPolicy: {
        launchTemplate: template('PrimaryTemplate', firstType),
        launchTemplateOverrides: props.primary.instanceTypes.map((t) => ({ instanceType: new InstanceType(t) })),
        instancesDistribution: {
          onDemandBaseCapacity: 0,
          onDemandPercentageAboveBaseCapacity: 0,
          spotAllocationStrategy: SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
        },
      },
    });

    acknowledgeNag(this.primary, {
      id: 'AwsSolutions-EC26',
      // cdk-nag 3.0.2's EC26 throws "Cannot read properties of undefined (reading 'launchTemplateName')" on a
      // group whose launch template sits inside MixedInstancesPolicy. The template's only volume is encrypted
      // (see the template above; test/lib/demo-fleet.test.ts pins it).
      reason: 'cdk-nag EC26 cannot read a launch template inside a MixedInstancesPolicy (the rule throws); the template encrypts its only EBS volume.',
    });

    this.standby = new AutoScalingGroup(this, 'Standby', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      autoScalingGroupName: props.standby.name,
      launchTemplate: template('StandbyTemplate', props.standby.instanceType),
      minCapacity: 0,
      maxCapacity: size.max,
    });
    this.standby.addWarmPool({
      minSize: wp.min_size,
      ...(wp.max_prepared_capacity >= 0 ? { maxGroupPreparedCapacity: wp.max_prepared_capacity } : {}),
      poolState: POOL_STATES[wp.pool_state],
      reuseOnScaleIn: wp.reuse_on_scale_in,
    });

    for (const group of [this.primary, this.standby]) {
      Tags.of(group).add(props.managedTag.key, props.managedTag.value, { applyToLaunchedInstances: true });
      if (props.lifecycleHooks) addSpotwiseLifecycleHooks(group);
      acknowledgeNag(group, {
        id: 'AwsSolutions-AS3',
        reason:
          'spotwise receives every launch, termination and lifecycle event of the demo groups through EventBridge; SNS scaling notifications would duplicate them.',
      });
    }
  }
}

const POOL_STATES = { Stopped: PoolState.STOPPED, Running: PoolState.RUNNING, Hibernated: PoolState.HIBERNATED } as const;

/** The namespace the agent configuration publishes to (CWAgent unless it says otherwise). */
const agentMetricsNamespace = (agentConfig: Readonly<Record<string, unknown>> | undefined): string | undefined => {
  if (agentConfig === undefined) return undefined;
  const metrics = agentConfig.metrics as { namespace?: unknown } | undefined;
  return typeof metrics?.namespace === 'string' ? metrics.namespace : 'CWAgent';
};

/**
 * User data (Amazon Linux 2023): install and start the CloudWatch agent with spotwise's configuration, then a
 * steady workload. Runs at first boot only (cloud-init); the agent and the workload are enabled systemd
 * services, so a warm-pool instance that is stopped and started again resumes both without re-running it.
 */
export const demoUserData = (agentConfig: Readonly<Record<string, unknown>> | undefined): UserData => {
  const userData = UserData.forLinux();
  userData.addCommands('set -euo pipefail');
  if (agentConfig !== undefined) {
    userData.addCommands(
      'dnf install -y amazon-cloudwatch-agent',
      `cat > ${AGENT_CONFIG_PATH} <<'SPOTWISE_AGENT_CONFIG'`,
      JSON.stringify(agentConfig, null, 2),
      'SPOTWISE_AGENT_CONFIG',
      `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${AGENT_CONFIG_PATH}`,
    );
  }
  userData.addCommands(
    // The workload is only there to give the profiles something to learn; a missing package must not fail the
    // boot. 15 % of one core stays under a t4g's baseline, so the burstable types earn no surplus credit charges.
    `if dnf install -y ${DEMO_WORKLOAD_PACKAGE}; then`,
    "cat > /etc/systemd/system/spotwise-demo-load.service <<'SPOTWISE_UNIT'",
    '[Unit]',
    'Description=spotwise demo workload (steady CPU and memory)',
    '[Service]',
    `ExecStart=/usr/bin/${DEMO_WORKLOAD_PACKAGE} --cpu 1 --cpu-load 15 --vm 1 --vm-bytes 25% --vm-keep`,
    'Restart=always',
    '[Install]',
    'WantedBy=multi-user.target',
    'SPOTWISE_UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now spotwise-demo-load.service',
    'else',
    `echo "spotwise demo: ${DEMO_WORKLOAD_PACKAGE} is not available; instances run without the demo workload" >&2`,
    'fi',
  );
  return userData;
};
