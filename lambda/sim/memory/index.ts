/** In-memory implementations of every port, for handler tests and the simulator. */
export * from './call-log';
export * from './cloud-errors';
export * from './manual-clock';
export * from './in-memory-state-store';
export * from './in-memory-cloud';
export * from './in-memory-metrics-reader';
export * from './recording-event-publisher';
export * from './in-memory-scheduler';
export * from './scripted-predictor';
export * from './in-memory-ports';
export * from './recording-telemetry';
