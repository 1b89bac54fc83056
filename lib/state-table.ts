import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TableKey } from '../lambda/contracts/table';

export interface StateTableProps {
  /**
   * Customer managed KMS key for the table. Without one the table uses the AWS managed key
   * (alias/aws/dynamodb), which costs nothing extra and needs no key policy.
   * @default - AWS managed encryption
   */
  readonly encryptionKey?: IKey;
  /**
   * What `cdk destroy` does with the table. Retained by default: it holds reservations and learned profiles,
   * and point-in-time recovery only helps while the table exists.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * spotwise's single table (DESIGN.md §5): pk/sk strings, on-demand billing (traffic is bursty: a pool-wide
 * interruption writes hundreds of reservations within a minute, then nothing), encryption at rest,
 * point-in-time recovery, and TTL on `expiresAt` (epoch seconds) for processed event ids and old requests.
 */
export class StateTable extends Construct {
  readonly table: ITable;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TableKey.partition, type: AttributeType.STRING },
      sortKey: { name: TableKey.sort, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      ...(props.encryptionKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: TableEncryption.AWS_MANAGED }),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TableKey.ttl,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
