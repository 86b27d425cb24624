export * from './errors.js';
export { murmur3, murmur3Bytes } from './hashing/murmur3.js';
export * from './node-spec.js';
export { DEFAULT_VNODES, type HashRingOptions, hashRing } from './ring/hash-ring.js';
export { jumpBucket, jumpHash } from './ring/jump-hash.js';
export { movedFraction } from './ring/moved-fraction.js';
export type { Partitioner } from './ring/partitioner.js';
export { rendezvousHash } from './ring/rendezvous-hash.js';
export { groupBy, groupByNode, type KeyGroup, scatter } from './routing/group-by-node.js';
