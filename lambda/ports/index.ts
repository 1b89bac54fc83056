export * from './clock';
export * from './instance-gateway';
export * from './capacity-gateway';
export * from './metrics-reader';
export * from './state-store';
export * from './event-publisher';
export * from './interruption-scheduler';
export * from './predictor';
