import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memcached, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwemproxyHashName } from '../src/hashing/twemproxy-hashes.js';
import type { NodeSpecObject } from '../src/node-spec.js';
import { ketamaRing } from '../src/ring/ketama-ring.js';
import {
  DEFAULT_MEMCACHED_PORT,
  type LoopbackMemcached,
  randomLoopbackHosts,
  startLoopbackMemcached,
} from './loopback-memcached.js';

const available = await requireEngine('memcached', memcached.nodes);

// Proves that ketamaRing places keys exactly where a real nutcracker (twemproxy) does: keys are
// written through nutcracker, then each memcached is asked directly which one holds them.

const NUTCRACKER = ['/usr/sbin/nutcracker', '/usr/bin/nutcracker'].find((path) => existsSync(path));
const KEYS_PER_POOL = 300;
const WEIGHTS = [1, 2, 1];

const backends: NodeSpecObject[] = memcached.nodes.map((address, index) => {
  const [host, port] = address.split(':');
  return { host: host!, port: Number(port), weight: WEIGHTS[index] ?? 1 };
});

// Two throw-away servers on port 11211, whose points are named `<host>-<i>` (no port), between
// two shared servers named `<host>:<port>-<i>`: weights 1,2,1,2 with the port-11211 ones at 1.
const loopbackHosts = randomLoopbackHosts(2);
const mixedPorts: NodeSpecObject[] = [
  { host: loopbackHosts[0]!, port: DEFAULT_MEMCACHED_PORT, weight: 1 },
  { ...backends[0]!, weight: 2 },
  { host: loopbackHosts[1]!, port: DEFAULT_MEMCACHED_PORT, weight: 1 },
  { ...backends[1]!, weight: 2 },
];
const everyServer = [...backends, ...mixedPorts.filter((node) => node.port === DEFAULT_MEMCACHED_PORT)];
const mixedPortHashes: (TwemproxyHashName | undefined)[] = [
  'md5',
  undefined,
  'fnv1a_32',
  'murmur',
  'jenkins',
  'hsieh',
  'one_at_a_time',
];

interface Pool {
  label: string;
  hash: TwemproxyHashName | undefined;
  nodes: NodeSpecObject[];
  /** The keys to place; random keys of varied lengths by default. */
  keys?: (prefix: string) => string[];
  /** How many distinct nodes the keys must reach. @default 3 */
  spread?: number;
}

const hashes: TwemproxyHashName[] = [
  'md5',
  'fnv1a_64',
  'fnv1a_32',
  'fnv1_64',
  'fnv1_32',
  'murmur',
  'crc32',
  'crc32a',
  'one_at_a_time',
  'hsieh',
  'jenkins',
  'crc16',
];

// "tie36-*" and "tie1312-*" share one md5 point value (1622176544), found by a birthday search.
// twemproxy sorts its servers by name (shorter first), and glibc's stable qsort keeps that order
// among equal points, so the arc ending at the shared value belongs to tie36 in either list order.
const TIE_VALUE = 1622176544;
const tieNodes = [
  { ...backends[0]!, weight: 1, name: 'tie1312' },
  { ...backends[1]!, weight: 1, name: 'tie36' },
];

function md5Words(text: string): number[] {
  const digest = createHash('md5').update(text).digest();
  return [0, 4, 8, 12].map((offset) => digest.readUInt32LE(offset));
}

/** Keys whose md5 falls on the arc that ends at the tied point. */
function tieKeys(prefix: string): string[] {
  const points = tieNodes.flatMap((node) =>
    Array.from({ length: 40 }, (_, i) => md5Words(`${node.name}-${i}`)).flat(),
  );
  const previous = Math.max(...points.filter((point) => point < TIE_VALUE));
  const keys: string[] = [];
  for (let attempt = 0; keys.length < 20; attempt++) {
    const key = `${prefix}${attempt}`;
    const hash = md5Words(key)[0]!;
    if (hash > previous && hash <= TIE_VALUE) keys.push(key);
  }
  return keys;
}

const pools: Pool[] = [
  // twemproxy's crc32 keeps 15 bits (0-32767), all below the continuum's first point, so with
  // ketama every key goes to one node: a twemproxy quirk that the ring reproduces.
  ...hashes.map((hash) => ({ label: hash, hash, nodes: backends, spread: hash === 'crc32' ? 1 : 3 })),
  // `host:port:weight name`: the name, not the address, is hashed for the points. The names sort
  // in a different order from the list, as twemproxy sorts its servers by name.
  {
    label: 'named servers (fnv1a_64)',
    hash: 'fnv1a_64',
    nodes: backends.map((node, index) => ({ ...node, name: ['server3', 'server1', 'server2'][index]! })),
  },
  {
    label: 'uneven weights 5,1,3 (md5)',
    hash: 'md5',
    nodes: backends.map((node, i) => ({ ...node, weight: [5, 1, 3][i]! })),
  },
  { label: 'default hash', hash: undefined, nodes: backends },
  { label: 'a tie between two points (md5)', hash: 'md5', nodes: tieNodes, keys: tieKeys, spread: 1 },
  ...mixedPortHashes.map((hash) => ({
    label: `port 11211 and other ports, weights 1,2,1,2 (${hash ?? 'default hash'})`,
    hash,
    nodes: mixedPorts,
    spread: 4,
  })),
  // A name replaces host:port, and the 11211 rule, for that server only.
  {
    label: 'port 11211 named and unnamed, other ports (fnv1a_64)',
    hash: 'fnv1a_64',
    nodes: mixedPorts.map((node, index) => (index === 2 ? { ...node, name: 'server-on-11211' } : node)),
    spread: 4,
  },
  {
    label: 'a tie, servers listed the other way (md5)',
    hash: 'md5',
    nodes: [...tieNodes].reverse(),
    keys: tieKeys,
    spread: 1,
  },
];

/** A minimal memcached text-protocol connection with pipelined requests. */
class TextConnection {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  readonly #waiting: {
    parse: (buffer: Buffer) => number;
    resolve: (reply: string) => void;
    reject: (error: Error) => void;
  }[] = [];

  constructor(port: number, host = '127.0.0.1') {
    this.#socket = new Socket().connect(port, host);
    // Without a listener a socket 'error' would crash the test worker instead of failing a test.
    this.#socket.on('error', (error) => {
      for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
    });
    this.#socket.on('data', (chunk) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      for (let head = this.#waiting[0]; head; head = this.#waiting[0]) {
        const used = head.parse(this.#buffer);
        if (used < 0) break;
        head.resolve(this.#buffer.subarray(0, used).toString('utf8'));
        this.#buffer = this.#buffer.subarray(used);
        this.#waiting.shift();
      }
    });
  }

  /** Sends one request; the reply ends with `terminator` (a line such as 'END\r\n' or any line). */
  request(command: Buffer, terminator?: string): Promise<string> {
    const parse = (buffer: Buffer): number => {
      if (terminator === undefined) {
        const end = buffer.indexOf('\r\n');
        return end < 0 ? -1 : end + 2;
      }
      // Values here are short ASCII, so the terminator cannot appear inside one.
      const end = buffer.indexOf(terminator);
      return end < 0 ? -1 : end + terminator.length;
    };
    return new Promise((resolve, reject) => {
      this.#waiting.push({ parse, resolve, reject });
      this.#socket.write(command);
    });
  }

  set(key: string, value: string): Promise<string> {
    const data = Buffer.from(value);
    return this.request(
      Buffer.concat([Buffer.from(`set ${key} 0 0 ${data.length}\r\n`), data, Buffer.from('\r\n')]),
    );
  }

  async has(key: string): Promise<boolean> {
    return (await this.request(Buffer.from(`get ${key}\r\n`), 'END\r\n')).startsWith('VALUE ');
  }

  delete(key: string): Promise<string> {
    return this.request(Buffer.from(`delete ${key}\r\n`));
  }

  close(): void {
    this.#socket.destroy();
  }
}

function randomKeys(prefix: string): string[] {
  const tails = ['', 'ключ', '日本語', '🙂', 'ünï', 'x'];
  return Array.from({ length: KEYS_PER_POOL }, (_, index) => {
    const ascii = randomBytes(1 + (index % 40)).toString('base64url');
    return `${prefix}${index}:${ascii}${tails[index % tails.length]}`;
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePorts(count: number): Promise<number[]> {
  const start = 22100 + Math.floor(Math.random() * 100);
  const ports: number[] = [];
  for (let offset = 0; offset < 100 && ports.length < count; offset++) {
    const port = 22100 + ((start - 22100 + offset) % 100);
    if (await isFree(port)) ports.push(port);
  }
  if (ports.length < count) throw new Error(`need ${count} free ports in 22100-22199`);
  return ports;
}

async function waitForPort(port: number, child: ChildProcess, logFile: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) {
      throw new Error(`nutcracker exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8')}`);
    }
    const connected = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
    });
    if (connected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nutcracker did not listen on ${port}`);
}

function serverLine(node: NodeSpecObject): string {
  const line = `${node.host}:${node.port}:${node.weight ?? 1}`;
  return node.name === undefined ? line : `${line} ${node.name}`;
}

function yamlConfig(configured: (Pool & { port: number })[]): string {
  return configured
    .map((pool, index) =>
      [
        `pool_${index}:`,
        `  listen: 127.0.0.1:${pool.port}`,
        '  distribution: ketama',
        ...(pool.hash === undefined ? [] : [`  hash: ${pool.hash}`]),
        '  auto_eject_hosts: false',
        '  timeout: 2000',
        '  servers:',
        ...pool.nodes.map((node) => `    - ${serverLine(node)}`),
      ].join('\n'),
    )
    .join('\n');
}

describe.skipIf(!available)('ketamaRing against a real nutcracker', () => {
  let directory = '';
  let child: ChildProcess | undefined;
  let loopback: LoopbackMemcached | undefined;
  let configured: (Pool & { port: number })[] = [];
  const direct = new Map<string, TextConnection>();

  beforeAll(async () => {
    if (NUTCRACKER === undefined) throw new Error('nutcracker is not installed (Debian package: nutcracker)');
    loopback = await startLoopbackMemcached(loopbackHosts);
    directory = mkdtempSync(join(tmpdir(), 'ringcache-nutcracker-'));
    const ports = await freePorts(pools.length + 1);
    configured = pools.map((pool, index) => ({ ...pool, port: ports[index]! }));
    const conf = join(directory, 'nutcracker.yml');
    const log = join(directory, 'nutcracker.log');
    writeFileSync(conf, yamlConfig(configured));
    const statsPort = String(ports[pools.length]!);
    const args = ['-c', conf, '-o', log, '-p', join(directory, 'pid'), '-s', statsPort, '-a', '127.0.0.1'];
    child = spawn(NUTCRACKER, args, { stdio: 'ignore' });
    for (const pool of configured) await waitForPort(pool.port, child, log);
    for (const node of everyServer) {
      direct.set(`${node.host}:${node.port}`, new TextConnection(node.port, node.host));
    }
  });

  afterAll(async () => {
    for (const connection of direct.values()) connection.close();
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    if (directory !== '') rmSync(directory, { recursive: true, force: true });
    await loopback?.stop();
  });

  it('runs the Debian nutcracker this suite was written against', async () => {
    const version = await new Promise<string>((resolve) => {
      const run = spawn(NUTCRACKER!, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      run.stdout.on('data', (chunk) => (output += chunk));
      run.stderr.on('data', (chunk) => (output += chunk));
      run.on('close', () => resolve(output));
    });
    expect(version).toMatch(/nutcracker-0\.5\./);
  });

  it.each(pools.map((pool) => [pool.label]))('places every key like nutcracker: %s', async (label) => {
    const pool = configured.find((candidate) => candidate.label === label)!;
    const ring = ketamaRing(pool.nodes, pool.hash === undefined ? {} : { hash: pool.hash });
    const prefix = `rc-ketama-${randomBytes(4).toString('hex')}-`;
    const keys = pool.keys === undefined ? randomKeys(prefix) : pool.keys(prefix);
    const proxy = new TextConnection(pool.port);
    try {
      const stored = await Promise.all(keys.map((key) => proxy.set(key, '1')));
      expect(new Set(stored)).toEqual(new Set(['STORED\r\n']));
    } finally {
      proxy.close();
    }

    const holders = new Map<string, string[]>(keys.map((key) => [key, []]));
    await Promise.all(
      [...direct].map(async ([id, connection]) => {
        const found = await Promise.all(keys.map((key) => connection.has(key)));
        keys.forEach((key, index) => {
          if (found[index]) holders.get(key)!.push(id);
        });
      }),
    );
    await Promise.all(
      keys.map((key) => Promise.all(holders.get(key)!.map((id) => direct.get(id)!.delete(key)))),
    );

    const mismatches = keys
      .map((key) => ({ key, nutcracker: holders.get(key)!, ring: ring.locate(key) }))
      .filter((entry) => entry.nutcracker.length !== 1 || entry.nutcracker[0] !== entry.ring);
    expect(mismatches).toEqual([]);
    // The keys reached the expected nodes, so the comparison covered every arc.
    expect(new Set(keys.map((key) => ring.locate(key))).size).toBe(pool.spread ?? 3);
  });
});
