import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TableKey } from '../../lambda/contracts/table';
import { awsClientConfig, type AwsClientOptions } from '../../lambda/adapters/aws-clients';

/** Creates the spotwise table as the stack does (pk/sk strings, on-demand billing) in the emulator. */
export const createSpotwiseTable = async (options: AwsClientOptions, tableName: string): Promise<void> => {
  const client = new DynamoDBClient(awsClientConfig(options));
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [
          { AttributeName: TableKey.partition, KeyType: 'HASH' },
          { AttributeName: TableKey.sort, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: TableKey.partition, AttributeType: 'S' },
          { AttributeName: TableKey.sort, AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } finally {
    client.destroy();
  }
};
