// The hashing module's public surface. The individual twemproxy functions stay reachable through
// `twemproxyHashes` (e.g. `twemproxyHashes.crc16`), so their short names (crc16, murmur) cannot
// clash with other hashes in the package (Redis Cluster's CRC16 is a different polynomial).
export {
  type HashFunction,
  isTwemproxyHashName,
  type TwemproxyHashName,
  twemproxyHashes,
} from './twemproxy-hashes.js';
