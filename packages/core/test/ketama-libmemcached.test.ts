import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { memcached, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSpecObject } from '../src/node-spec.js';
import { ketamaRing } from '../src/ring/ketama-ring.js';
import {
  DEFAULT_MEMCACHED_PORT,
  type LoopbackMemcached,
  randomLoopbackHosts,
  startLoopbackMemcached,
} from './loopback-memcached.js';

const available = await requireEngine('memcached', memcached.nodes);

// Proves `compat: 'libmemcached'` against the real libmemcached: Debian's python3-pylibmc (a thin
// binding over Debian's libmemcached) writes the keys with the `ketama_weighted` behaviour, then
// asks each memcached directly which one holds each key. Debian's own python, not a pyenv one,
// is the one that sees the python3-pylibmc package.
const PYTHON = '/usr/bin/python3';
const KEYS_PER_CASE = 300;

const SCRIPT = `
import json, sys
import pylibmc
spec = json.load(sys.stdin)
client = pylibmc.Client(spec['servers'], behaviors={'ketama_weighted': True})
behaviors = client.behaviors
singles = [pylibmc.Client([server]) for server in spec['addresses']]
holders = {}
for key in spec['keys']:
    if not client.set(key, '1'):
        raise SystemExit('set failed for ' + key)
    found = [index for index, single in enumerate(singles) if single.get(key) is not None]
    for index in found:
        singles[index].delete(key)
    holders[key] = found
json.dump({'behaviors': behaviors, 'holders': holders}, sys.stdout)
`;

interface PylibmcResult {
  behaviors: Record<string, unknown>;
  holders: Record<string, number[]>;
}

function runPython(
  args: string[],
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

async function placeWithPylibmc(nodes: NodeSpecObject[], keys: string[]): Promise<PylibmcResult> {
  const spec = {
    // pylibmc's 'host:port:weight' server syntax.
    servers: nodes.map((node) => `${node.host}:${node.port}:${node.weight ?? 1}`),
    addresses: nodes.map((node) => `${node.host}:${node.port}`),
    keys,
  };
  const result = await runPython(['-c', SCRIPT], JSON.stringify(spec));
  if (result.code !== 0) throw new Error(`pylibmc script failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as PylibmcResult;
}

function randomKeys(): string[] {
  const prefix = `rc-libmc-${randomBytes(4).toString('hex')}-`;
  const tails = ['', 'ключ', '日本語', '🙂', 'ünï'];
  return Array.from(
    { length: KEYS_PER_CASE },
    (_, index) =>
      `${prefix}${index}:${randomBytes(1 + (index % 30)).toString('base64url')}${tails[index % 5]}`,
  );
}

const shared: NodeSpecObject[] = memcached.nodes.map((address) => {
  const [host, port] = address.split(':');
  return { host: host!, port: Number(port) };
});
// libmemcached names a server on port 11211 by its host alone: two throw-away servers on 11211
// of their own loopback addresses, between shared servers on other ports.
const loopbackHosts = randomLoopbackHosts(2);
const onDefaultPort = loopbackHosts.map((host) => ({ host, port: DEFAULT_MEMCACHED_PORT }));

const cases: { label: string; servers: NodeSpecObject[]; weights: number[] }[] = [
  { label: 'weights 1,2,1', servers: shared, weights: [1, 2, 1] },
  { label: 'equal weights', servers: shared, weights: [1, 1, 1] },
  { label: 'weights 5,1,3', servers: shared, weights: [5, 1, 3] },
  {
    label: 'port 11211 and other ports, weights 1,2,1,2',
    servers: [onDefaultPort[0]!, shared[0]!, onDefaultPort[1]!, shared[1]!],
    weights: [1, 2, 1, 2],
  },
];

describe.skipIf(!available)("ketamaRing compat 'libmemcached' against pylibmc", () => {
  let loopback: LoopbackMemcached | undefined;

  beforeAll(async () => {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing (Debian package: python3)`);
    const probe = await runPython(['-c', 'import pylibmc'], '');
    if (probe.code !== 0)
      throw new Error(`pylibmc is not importable (Debian package: python3-pylibmc): ${probe.stderr}`);
    loopback = await startLoopbackMemcached(loopbackHosts);
  });

  afterAll(async () => {
    await loopback?.stop();
  });

  it.each(cases)('places every key like libmemcached: $label', async ({ servers, weights }) => {
    const nodes = servers.map((server, index) => ({ ...server, weight: weights[index] ?? 1 }));
    const keys = randomKeys();
    const { behaviors, holders } = await placeWithPylibmc(nodes, keys);
    // The behaviour that selects libmemcached's weighted ketama with md5 keys.
    expect(behaviors).toMatchObject({ distribution: 'consistent weighted', hash: 'md5', ketama_weighted: 1 });

    const ring = ketamaRing(nodes, { hash: 'md5', compat: 'libmemcached' });
    const ids = nodes.map((node) => `${node.host}:${node.port}`);
    const mismatches = keys
      .map((key) => ({
        key,
        libmemcached: (holders[key] ?? []).map((index) => ids[index]),
        ring: ring.locate(key),
      }))
      .filter((entry) => entry.libmemcached.length !== 1 || entry.libmemcached[0] !== entry.ring);
    expect(mismatches).toEqual([]);
    expect(new Set(keys.map((key) => ring.locate(key))).size).toBe(nodes.length);
  });
});
