import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import type { SimulationResult } from '../simulation.js';
import { simulate } from './simulate.js';

async function run(argv: string[]) {
  const captured = captureIo();
  const code = await simulate(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

async function json(argv: string[]): Promise<SimulationResult> {
  const { code, stdout, stderr } = await run([...argv, '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as SimulationResult;
}

describe('ringcache simulate', () => {
  it('reports balance and a minimal move when a node is added to the consistent ring', async () => {
    const result = await json(['--nodes', '10', '--add', '1', '--keys', '50000']);
    expect(result).toMatchObject({ ring: 'consistent', vnodes: 4096, keys: 50_000 });
    expect(result.before.nodes).toBe(10);
    expect(result.after?.nodes).toBe(11);
    expect(result.before.maxOverMean).toBeGreaterThan(1);
    expect(result.before.maxOverMean).toBeLessThan(1.1);
    expect(result.movement).toMatchObject({ kind: 'add', changedNodes: ['10.0.0.11:11211'], minimal: true });
    expect(result.movement?.ideal).toBeCloseTo(1 / 11, 10);
    expect(result.movement?.ratioToIdeal).toBeGreaterThan(0.9);
    expect(result.movement?.ratioToIdeal).toBeLessThan(1.1);
  });

  it('removes the last nodes, which jump hash allows, and only their keys move', async () => {
    const result = await json(['--nodes', '8', '--remove', '2', '--keys', '40000', '--ring', 'jump']);
    expect(result.movement).toMatchObject({
      kind: 'remove',
      changedNodes: ['10.0.0.8:11211', '10.0.0.7:11211'],
      minimal: true,
      strayKeys: 0,
    });
    expect(result.movement?.ideal).toBe(0.25);
    expect(result.after?.nodes).toBe(6);
  });

  it('reports balance alone without a change, for ketama with a chosen hash', async () => {
    const result = await json(['--nodes', '4', '--keys', '1e4', '--ring', 'ketama', '--hash', 'fnv1a_64']);
    expect(result).toMatchObject({ ring: 'ketama', hash: 'fnv1a_64', keys: 10_000 });
    expect(result.after).toBeUndefined();
    expect(result.movement).toBeUndefined();
  });

  it('prints a table for people', async () => {
    const { code, stdout } = await run([
      '--nodes',
      '5',
      '--add',
      '1',
      '--keys',
      '20_000',
      '--ring',
      'rendezvous',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ring: rendezvous {3}keys: 20,000 {3}5 → 6 nodes \(\+1\)\n/);
    expect(stdout).toMatch(/\n\s+nodes\s+max\/mean\s+min\/mean\s+stddev\/mean\nbefore\s+5\s/);
    expect(stdout).toMatch(/\nmoved: +\d+\.\d\d% of keys \([\d,]+\); ideal 16\.67%; \d\.\d{3}× ideal\n/);
    expect(stdout).toContain('minimal: yes, every moved key went to a new node');
  });

  it.each([
    [[], /--nodes N is required/],
    [['--nodes', 'ten'], /--nodes must be a whole number/],
    [['--nodes', '3', '--add', '1', '--remove', '1'], /--add or --remove, not both/],
    [['--nodes', '3', '--remove', '3'], /--remove must be a whole number from 1 to 2/],
    [['--nodes', '1', '--remove', '1'], /cannot remove nodes from a single node/],
    [['--nodes', '3', '--keys', '0'], /--keys must be a whole number/],
    [['--nodes', '3', '--hash', 'md5'], /--hash applies to --ring ketama only/],
    [['--nodes', '3', 'extra'], /unexpected argument 'extra'/],
  ])('exits 2 with one line on stderr for %j', async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.split('\n')).toHaveLength(2);
  });

  it('never draws progress on stdout, and not on a stderr that is no terminal', async () => {
    const { stderr } = await run(['--nodes', '3', '--keys', '1000']);
    expect(stderr).toBe('');
  });
});
