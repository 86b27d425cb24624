export {
  RingcacheHealthIndicator,
  type RingcacheHealthOptions,
} from './health-indicator.js';
