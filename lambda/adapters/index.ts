/** The AWS adapters of the ports (the tfjs predictor lives beside them, in tfjs-predictor.ts). */
export * from './errors';
export * from './aws-clients';
export * from './system-clock';
export * from './cloudwatch-metrics-reader';
export * from './cloudwatch-cost';
export * from './ec2-instance-gateway';
export * from './autoscaling-capacity-gateway';
export * from './dynamodb-state-store';
export * from './eventbridge-publisher';
export * from './scheduler-interruption-scheduler';
