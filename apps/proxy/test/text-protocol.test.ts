// The text protocol through the proxy, byte for byte, against the three shared memcached servers:
// every command, many-key gets spread over every server, pipelines, limits and bad input.
import { randomUUID } from 'node:crypto';
import { hashRing } from '@ringcache/core';
import { MemcachedConnection } from '@ringcache/memcached/protocol';
import { memcached, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../src/index.js';
import { countReplies, RawClient, startTestProxy } from './support/proxy.js';

const available = await requireEngine('memcached', memcached.nodes);
const run = randomUUID().slice(0, 8);

describe.skipIf(!available)('text protocol through the proxy', () => {
  let proxy: RunningProxy;
  let client: RawClient;
  const direct = new Map<string, MemcachedConnection>();
  const ring = hashRing(memcached.nodes);
  const key = (name: string) => `${run}:${name}`;

  beforeAll(async () => {
    proxy = await startTestProxy({ maxValueBytes: 100_000, maxRequestLineBytes: 16_384 });
    for (const node of memcached.nodes) {
      const [host, port] = node.split(':');
      direct.set(node, new MemcachedConnection({ host: host!, port: Number(port) }));
    }
  });
  afterAll(async () => {
    for (const connection of direct.values()) connection.close();
    await proxy?.close();
  });
  beforeEach(async () => {
    client?.close();
    client = await RawClient.connect(proxy.address.port);
  });

  /** Which shared servers hold `name`, asked directly. */
  async function holders(name: string): Promise<string[]> {
    const found: string[] = [];
    for (const [node, connection] of direct) {
      const reply = await connection.request({ command: 'get', keys: [name] });
      if (reply?.type === 'values' && reply.items.length > 0) found.push(node);
    }
    return found;
  }

  it('stores and reads with every storage command, on the server the ring names', async () => {
    const a = key('a');
    expect(await client.exchange(`set ${a} 42 0 5\r\nhello\r\n`)).toBe('STORED\r\n');
    expect(await holders(a)).toEqual([ring.locate(a)]);
    expect(await client.exchange(`get ${a}\r\n`, 1, /END\r\n/g)).toBe(`VALUE ${a} 42 5\r\nhello\r\nEND\r\n`);
    expect(await client.exchange(`add ${a} 0 0 1\r\nx\r\n`)).toBe('NOT_STORED\r\n');
    expect(await client.exchange(`replace ${key('none')} 0 0 1\r\nx\r\n`)).toBe('NOT_STORED\r\n');
    expect(await client.exchange(`append ${a} 0 0 2\r\n!!\r\n`)).toBe('STORED\r\n');
    expect(await client.exchange(`prepend ${a} 0 0 2\r\n>>\r\n`)).toBe('STORED\r\n');
    expect(await client.exchange(`get ${a}\r\n`, 1, /END\r\n/g)).toBe(
      `VALUE ${a} 42 9\r\n>>hello!!\r\nEND\r\n`,
    );
    expect(await client.exchange(`replace ${a} 7 0 3\r\nnew\r\n`)).toBe('STORED\r\n');
    expect(await client.exchange(`add ${key('fresh')} 0 0 1\r\nf\r\n`)).toBe('STORED\r\n');
    expect(await client.exchange(`delete ${a}\r\n`)).toBe('DELETED\r\n');
    expect(await client.exchange(`delete ${a}\r\n`)).toBe('NOT_FOUND\r\n');
    expect(await client.exchange(`get ${a}\r\n`)).toBe('END\r\n');
  });

  it('passes CAS uniques through: the server issued them and the key always goes back to it', async () => {
    const c = key('cas');
    await client.exchange(`set ${c} 0 0 2\r\nv1\r\n`);
    const gets = await client.exchange(`gets ${c}\r\n`, 1, /END\r\n/g);
    const unique = /^VALUE \S+ 0 2 (\d+)\r\n/.exec(gets)?.[1];
    expect(unique).toBeDefined();
    const owner = direct.get(ring.locate(c))!;
    const fromServer = await owner.request({ command: 'gets', keys: [c] });
    expect(fromServer?.type === 'values' && String(fromServer.items[0]?.cas)).toBe(unique);
    expect(await client.exchange(`cas ${c} 0 0 2 ${unique}\r\nv2\r\n`)).toBe('STORED\r\n');
    expect(await client.exchange(`cas ${c} 0 0 2 ${unique}\r\nv3\r\n`)).toBe('EXISTS\r\n');
    expect(await client.exchange(`cas ${key('nocas')} 0 0 2 1\r\nv3\r\n`)).toBe('NOT_FOUND\r\n');
    expect(await client.exchange(`get ${c}\r\n`, 1, /END\r\n/g)).toBe(`VALUE ${c} 0 2\r\nv2\r\nEND\r\n`);
  });

  it('counts, touches and answers version and verbosity', async () => {
    const n = key('n');
    expect(await client.exchange(`incr ${n} 1\r\n`)).toBe('NOT_FOUND\r\n');
    await client.exchange(`set ${n} 0 0 2\r\n10\r\n`);
    expect(await client.exchange(`incr ${n} 5\r\n`)).toBe('15\r\n');
    expect(await client.exchange(`decr ${n} 20\r\n`)).toBe('0\r\n');
    expect(await client.exchange(`incr ${n} 18446744073709551615\r\n`)).toBe('18446744073709551615\r\n');
    await client.exchange(`set ${key('text')} 0 0 3\r\nabc\r\n`);
    expect(await client.exchange(`incr ${key('text')} 1\r\n`)).toMatch(/^CLIENT_ERROR cannot increment/);
    expect(await client.exchange(`touch ${n} 100\r\n`)).toBe('TOUCHED\r\n');
    expect(await client.exchange(`touch ${key('none')} 100\r\n`)).toBe('NOT_FOUND\r\n');
    expect(await client.exchange(`gat 100 ${n}\r\n`, 1, /END\r\n/g)).toMatch(/^VALUE \S+ 0 20\r\n/);
    expect(await client.exchange(`gats 100 ${n} ${key('none')}\r\n`, 1, /END\r\n/g)).toMatch(
      /^VALUE \S+ 0 20 \d+\r\n\d+\r\nEND\r\n$/,
    );
    expect(await client.exchange('version\r\n')).toMatch(/^VERSION \d+\.\d+\.\d+/);
    expect(await client.exchange('verbosity 1\r\n')).toBe('OK\r\n');
  });

  it('answers noreply requests with nothing, yet applies them before later requests on the key', async () => {
    const q = key('quiet');
    const reply = await client.exchange(
      `set ${q} 0 0 1 noreply\r\n1\r\nincr ${q} 4 noreply\r\nappend ${q} 0 0 1 noreply\r\n0\r\nget ${q}\r\n` +
        `delete ${q} noreply\r\ntouch ${q} 1 noreply\r\nverbosity 1 noreply\r\nget ${q}\r\n`,
      2,
      /END\r\n/g,
    );
    expect(reply).toBe(`VALUE ${q} 0 2\r\n50\r\nEND\r\nEND\r\n`);
  });

  it('splits a many-key get per server and answers in the client order, duplicates included', async () => {
    const keys = Array.from({ length: 90 }, (_, index) => key(`m${index}`));
    const owners = new Set(keys.map((name) => ring.locate(name)));
    expect(owners.size).toBe(3);
    const stored = keys.filter((_, index) => index % 3 !== 0);
    await client.exchange(
      stored.map((name) => `set ${name} ${name.length} 0 ${name.length}\r\n${name}\r\n`).join(''),
      stored.length,
    );
    const asked = [...keys].reverse();
    asked.splice(10, 0, asked[20]!, asked[20]!); // a key asked three times
    const reply = await client.exchange(`get ${asked.join(' ')}\r\n`, 1, /END\r\n/g);
    const expected = asked
      .filter((name) => stored.includes(name))
      .map((name) => `VALUE ${name} ${name.length} ${name.length}\r\n${name}\r\n`)
      .join('');
    expect(reply).toBe(`${expected}END\r\n`);
  });

  it('splits a server group of more than 256 keys into several server requests', async () => {
    const keys = Array.from({ length: 800 }, (_, index) => key(`big${index}`));
    await client.exchange(keys.map((name) => `set ${name} 0 0 1\r\nx\r\n`).join(''), keys.length);
    const big = await RawClient.connect(proxy.address.port);
    try {
      const reply = await big.exchange(`get ${keys.join(' ')}\r\n`, 1, /END\r\n/g);
      expect(countReplies(reply)).toBe(1);
      expect(reply.match(/^VALUE /gm)).toHaveLength(800);
      expect(reply.indexOf(keys[0]!)).toBeLessThan(reply.indexOf(keys[799]!));
    } finally {
      big.close();
    }
  });

  it('answers a long pipeline in order', async () => {
    const requests: string[] = [];
    const expected: string[] = [];
    for (let index = 0; index < 600; index++) {
      const round = Math.floor(index / 3);
      const name = key(`p${round % 50}`);
      if (index % 3 === 0) {
        requests.push(`set ${name} 0 0 ${String(round).length}\r\n${round}\r\n`);
        expected.push('STORED\r\n');
      } else if (index % 3 === 1) {
        requests.push(`get ${name}\r\n`);
        expected.push(`VALUE ${name} 0 ${String(round).length}\r\n${round}\r\nEND\r\n`);
      } else {
        requests.push(`touch ${name} 0\r\n`);
        expected.push('TOUCHED\r\n');
      }
    }
    client.write(requests.join(''));
    await client.until((received) => countReplies(received.toString('latin1')) >= 600);
    expect(client.take()).toBe(expected.join(''));
  });

  it('reports per-server stats, and the stats sections', async () => {
    await client.exchange(`get ${key('s1')} ${key('s2')} ${key('s3')}\r\n`, 1, /END\r\n/g);
    const stats = await client.exchange('stats\r\n', 1, /END\r\n/g);
    for (const node of memcached.nodes) {
      for (const field of [
        'status up',
        'ops',
        'hits',
        'misses',
        'errors',
        'ejected',
        'latency_p50_us',
        'latency_p99_us',
      ]) {
        expect(stats).toContain(`STAT server:${node}:${field}`);
      }
    }
    expect(stats).toMatch(/STAT curr_connections [1-9]/);
    expect(stats).toMatch(/STAT distribution consistent/);
    expect(proxy.stats().commands.cmdGet).toBeGreaterThan(0);
    const servers = await client.exchange('stats servers\r\n', 1, /END\r\n/g);
    expect(
      servers
        .split('\r\n')
        .filter((line) => line.startsWith('STAT'))
        .every((line) => line.startsWith('STAT server:')),
    ).toBe(true);
    expect(await client.exchange('stats hotkeys\r\n', 1, /END\r\n/g)).toMatch(/^STAT hot_keys \d+\r\n/);
    expect(await client.exchange('stats slabs\r\n')).toBe('ERROR\r\n');
  });

  it('answers bad input as memcached does and keeps the connection usable', async () => {
    const good = key('good');
    await client.exchange(`set ${good} 0 0 2\r\nok\r\n`);
    const reply = await client.exchange(
      'bogus command\r\n' +
        `set ${good} 0 0 -1\r\n` +
        `set ${good} 0 0 2\r\ntoolong\r\n` +
        `get ${'k'.repeat(251)}\r\n` +
        `incr ${good} abc\r\n` +
        '\r\n' +
        `get ${good}\r\n`,
      1,
      /END\r\n/g,
    );
    expect(reply).toBe(
      'ERROR\r\n' +
        'CLIENT_ERROR bad command line format\r\n' +
        'CLIENT_ERROR bad data chunk\r\n' +
        'ERROR\r\n' + // memcached reads the rest of a bad data block as a command
        'CLIENT_ERROR bad command line format\r\n' +
        'CLIENT_ERROR invalid numeric delta argument\r\n' +
        'ERROR\r\n' +
        `VALUE ${good} 0 2\r\nok\r\nEND\r\n`,
    );
    expect(proxy.stats().commands.clientErrors).toBeGreaterThanOrEqual(6);
  });

  it('counts per server what the library counts per node: sets, deletes, hits, misses, bytes', async () => {
    const name = key('counted');
    const server = ring.locate(name);
    const at = (stats: ReturnType<RunningProxy['stats']>) =>
      stats.servers.find((entry) => entry.id === server)!;
    const before = at(proxy.stats());
    await client.exchange(
      `set ${name} 0 0 5\r\nhello\r\nappend ${name} 0 0 2\r\n!!\r\nget ${name}\r\ndelete ${name}\r\nget ${name}\r\n`,
      5,
      /(STORED|END|DELETED)\r\n/g,
    );
    const after = at(proxy.stats());
    expect({
      ops: after.ops - before.ops,
      sets: after.sets - before.sets,
      deletes: after.deletes - before.deletes,
      hits: after.hits - before.hits,
      misses: after.misses - before.misses,
      bytesWritten: after.bytesWritten - before.bytesWritten,
      bytesRead: after.bytesRead - before.bytesRead,
    }).toEqual({ ops: 5, sets: 2, deletes: 1, hits: 1, misses: 1, bytesWritten: 7, bytesRead: 7 });
    const lines = await client.exchange('stats servers\r\n', 1, /END\r\n/g);
    expect(lines).toContain(`STAT server:${server}:sets ${after.sets}\r\n`);
    expect(lines).toContain(`STAT server:${server}:deletes ${after.deletes}\r\n`);
  });

  it('refuses a value above max_value_bytes, skipping it, and goes on', async () => {
    const big = key('big');
    const reply = await client.exchange(
      `set ${big} 0 0 200000\r\n${'x'.repeat(200_000)}\r\nget ${big}\r\n`,
      1,
      /END\r\n/g,
    );
    expect(reply).toBe('SERVER_ERROR object too large for cache\r\nEND\r\n');
  });

  it('deletes the old value of a key whose set is too large, as memcached does (add keeps it)', async () => {
    // memcached itself, with its default 1 MB item size: the refused set unlinks the old item.
    const [host, port] = memcached.nodes[0]!.split(':');
    const server = await RawClient.connect(Number(port), host);
    const oldAtServer = key('old-at-server');
    expect(await server.exchange(`set ${oldAtServer} 0 0 3\r\nold\r\n`)).toBe('STORED\r\n');
    const huge = 'x'.repeat(2 * 1024 * 1024);
    expect(
      await server.exchange(`set ${oldAtServer} 0 0 ${huge.length}\r\n${huge}\r\nget ${oldAtServer}\r\n`, 2),
    ).toBe('SERVER_ERROR object too large for cache\r\nEND\r\n');
    server.close();

    // The proxy, refusing above its own max_value_bytes, leaves the same state on the server.
    const old = key('old');
    const kept = key('kept-by-add');
    expect(await client.exchange(`set ${old} 0 0 3\r\nold\r\nset ${kept} 0 0 4\r\nkept\r\n`, 2)).toBe(
      'STORED\r\n'.repeat(2),
    );
    const big = 'y'.repeat(200_000);
    const reply = await client.exchange(
      `set ${old} 0 0 ${big.length}\r\n${big}\r\nadd ${kept} 0 0 ${big.length}\r\n${big}\r\nget ${old} ${kept}\r\n`,
      1,
      /END\r\n/g,
    );
    const refused = 'SERVER_ERROR object too large for cache\r\n';
    expect(reply).toBe(`${refused}${refused}VALUE ${kept} 0 4\r\nkept\r\nEND\r\n`);
    expect(await holders(old)).toEqual([]);

    // With noreply memcached answers nothing, and still deletes; so does the proxy.
    const quiet = key('quiet');
    expect(await client.exchange(`set ${quiet} 0 0 3\r\nold\r\n`)).toBe('STORED\r\n');
    expect(
      await client.exchange(
        `set ${quiet} 0 0 ${big.length} noreply\r\n${big}\r\nget ${quiet}\r\n`,
        1,
        /END\r\n/g,
      ),
    ).toBe('END\r\n');
  });

  it('closes the connection after a line longer than max_request_line_bytes', async () => {
    client.write(`get ${Array.from({ length: 1500 }, (_, index) => key(`long${index}`)).join(' ')}`);
    await client.until(() => client.closed);
    expect(client.text).toBe('CLIENT_ERROR line too long\r\n');
  });

  it('refuses flush_all unless allow_flush: one client must not empty the whole pool', async () => {
    const kept = key('kept');
    await client.exchange(`set ${kept} 0 0 1\r\nk\r\n`);
    expect(await client.exchange('flush_all\r\nflush_all noreply\r\nflush_all 10\r\n', 2)).toBe(
      'SERVER_ERROR flush_all is disabled on this proxy (allow_flush)\r\n'.repeat(2),
    );
    expect(await client.exchange(`get ${kept}\r\n`, 1, /END\r\n/g)).toBe(`VALUE ${kept} 0 1\r\nk\r\nEND\r\n`);
  });

  it('closes after quit, answering what came before it', async () => {
    client.write(`get ${key('q')}\r\nquit\r\nget ${key('q')}\r\n`);
    await client.until(() => client.closed);
    expect(client.text).toBe('END\r\n');
  });
});
