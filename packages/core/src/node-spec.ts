import { ConfigError } from './errors.js';

/**
 * A cache node as users write it: `'host:port[:weight]'` or an object. The same shape is
 * accepted by every adapter, the CLI and the proxy config.
 */
export type NodeSpec = string | NodeSpecObject;

export interface NodeSpecObject {
  host: string;
  port: number;
  /** Relative share of keys. @default 1 */
  weight?: number;
  /** When given, what the ring hashes for this node's points (twemproxy's server name). */
  name?: string;
}

/** A validated node. `id` is `host:port`, the identity used everywhere (stats, events, `locate`). */
export interface CacheNode {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly name: string | undefined;
}

/**
 * Parses and validates one node spec.
 * @throws ConfigError on a malformed address, a port outside 1–65535, or a weight that is not
 *   a finite positive number.
 */
export function parseNodeSpec(spec: NodeSpec): CacheNode {
  if (typeof spec === 'string') return parseNodeString(spec);
  if (typeof spec !== 'object' || spec === null) {
    throw new ConfigError(`a node spec must be 'host:port[:weight]' or { host, port }, got ${typeof spec}`);
  }
  const { host, port, weight = 1, name } = spec;
  if (typeof host !== 'string' || host.length === 0)
    throw new ConfigError('a node spec needs a non-empty host');
  checkPort(port, `${host}:${port}`);
  checkWeight(weight, `${host}:${port}`);
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new ConfigError(`node ${host}:${port}: name must be a non-empty string`);
  }
  return Object.freeze({ id: `${host}:${port}`, host, port, weight, name });
}

function parseNodeString(spec: string): CacheNode {
  // IPv6 literals come bracketed ('[::1]:11211'), so the last colons are unambiguous.
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d+)(?::([^:\s]+))?$/.exec(spec.trim());
  if (!match) throw new ConfigError(`node spec '${spec}' is not 'host:port[:weight]'`);
  const host = match[1]!;
  const port = Number(match[2]);
  const weight = match[3] === undefined ? 1 : Number(match[3]);
  checkPort(port, spec);
  checkWeight(weight, spec);
  return Object.freeze({ id: `${host}:${port}`, host, port, weight, name: undefined });
}

function checkPort(port: unknown, where: string): asserts port is number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`node ${where}: port must be an integer from 1 to 65535`);
  }
}

function checkWeight(weight: unknown, where: string): asserts weight is number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
    throw new ConfigError(`node ${where}: weight must be a finite positive number, got ${String(weight)}`);
  }
}

/**
 * Parses a node list, rejecting an empty list and duplicate ids.
 * @throws ConfigError
 */
export function parseNodeList(specs: readonly NodeSpec[]): CacheNode[] {
  if (!Array.isArray(specs) || specs.length === 0) throw new ConfigError('the node list is empty');
  const nodes = specs.map(parseNodeSpec);
  const seen = new Set<string>();
  for (const node of nodes) {
    if (seen.has(node.id)) throw new ConfigError(`node ${node.id} appears twice in the node list`);
    seen.add(node.id);
  }
  return nodes;
}
