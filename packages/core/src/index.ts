export * from './errors.js';
export * from './node-spec.js';
export type { Partitioner } from './ring/partitioner.js';
