/** Redis Cluster's partitioning: key slots, slot maps, CLUSTER SLOTS, rebalance plans. */
export {
  type ClusterSlotsEntry,
  type ClusterSlotsNode,
  type ClusterSlotsReply,
  type FromClusterSlotsOptions,
  fromClusterSlots,
} from './cluster-slots.js';
export { assertSlot, hashTag, keySlot, MAX_SLOT, SLOT_COUNT, slotOfBytes } from './key-slot.js';
export { applyRebalance, planRebalance, rebalanceTargets, type SlotTargets } from './plan-rebalance.js';
export {
  type SlotMap,
  type SlotMapInput,
  type SlotMove,
  type SlotRange,
  type SlotRangeSpec,
  slotMap,
} from './slot-map.js';
export { evenSplit, MAX_SPLIT_MASTERS, type SlotSpan } from './slot-ranges.js';
