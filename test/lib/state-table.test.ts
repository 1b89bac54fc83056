import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { StateTable } from '../../lib/state-table';
import { bareStack, logicalIdsOf } from './helpers';

describe('StateTable', () => {
  it('is pk/sk, on-demand, encrypted with the AWS managed key, with PITR and TTL on expiresAt, retained', () => {
    const stack = bareStack();
    new StateTable(stack, 'State');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    });
    // No provisioned throughput with on-demand billing.
    template.hasResourceProperties('AWS::DynamoDB::Table', { ProvisionedThroughput: Match.absent() });
  });

  it('uses a customer managed key when given one, and can be destroyed when asked', () => {
    const stack = bareStack();
    const key = new Key(stack, 'Key', { enableKeyRotation: true });
    new StateTable(stack, 'State', { encryptionKey: key, removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    const [keyId] = logicalIdsOf(template, 'AWS::KMS::Key');
    expect(keyId).toBeDefined();
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
    });
  });
});
