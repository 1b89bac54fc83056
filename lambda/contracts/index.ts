export * from './events';
export * from './env';
export * from './metrics';
export * from './table';
export * from './validation';
export * from './config';
export * from './scaling-policy';
