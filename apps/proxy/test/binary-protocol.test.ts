// The binary protocol frontend with raw packets, against the three shared memcached servers:
// what clients hide (quiet variants, noop ordering, opaque echo, statuses) is checked here.
import { randomUUID } from 'node:crypto';
import { hashRing } from '@ringcache/core';
import { memcached, requireEngine } from '@ringcache/test-engines';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BinaryStatus, Opcode } from '../src/binary/binary-protocol.js';
import type { RunningProxy } from '../src/index.js';
import { RawClient, startTestProxy } from './support/proxy.js';

const available = await requireEngine('memcached', memcached.nodes);
const run = randomUUID().slice(0, 8);

interface Response {
  opcode: number;
  status: number;
  opaque: number;
  cas: bigint;
  extras: Buffer;
  key: string;
  value: string;
}

function packet(
  opcode: number,
  options: { key?: string; extras?: Buffer; value?: string | Buffer; opaque?: number; cas?: bigint } = {},
): Buffer {
  const key = Buffer.from(options.key ?? '');
  const extras = options.extras ?? Buffer.alloc(0);
  const value =
    typeof options.value === 'string' ? Buffer.from(options.value) : (options.value ?? Buffer.alloc(0));
  const header = Buffer.alloc(24);
  header[0] = 0x80;
  header[1] = opcode;
  header.writeUInt16BE(key.length, 2);
  header[4] = extras.length;
  header.writeUInt32BE(extras.length + key.length + value.length, 8);
  header.writeUInt32BE(options.opaque ?? 0, 12);
  header.writeBigUInt64BE(options.cas ?? 0n, 16);
  return Buffer.concat([header, extras, key, value]);
}

function storeExtras(flags: number, exptime: number): Buffer {
  const extras = Buffer.alloc(8);
  extras.writeUInt32BE(flags, 0);
  extras.writeUInt32BE(exptime, 4);
  return extras;
}

function counterExtras(delta: bigint, initial: bigint, exptime: number): Buffer {
  const extras = Buffer.alloc(20);
  extras.writeBigUInt64BE(delta, 0);
  extras.writeBigUInt64BE(initial, 8);
  extras.writeUInt32BE(exptime, 16);
  return extras;
}

function parseResponses(bytes: Buffer): Response[] {
  const responses: Response[] = [];
  let offset = 0;
  while (offset + 24 <= bytes.length) {
    const body = bytes.readUInt32BE(offset + 8);
    if (offset + 24 + body > bytes.length) break;
    expect(bytes[offset]).toBe(0x81);
    const keyLength = bytes.readUInt16BE(offset + 2);
    const extrasLength = bytes[offset + 4]!;
    const start = offset + 24;
    responses.push({
      opcode: bytes[offset + 1]!,
      status: bytes.readUInt16BE(offset + 6),
      opaque: bytes.readUInt32BE(offset + 12),
      cas: bytes.readBigUInt64BE(offset + 16),
      extras: bytes.subarray(start, start + extrasLength),
      key: bytes.subarray(start + extrasLength, start + extrasLength + keyLength).toString(),
      value: bytes.subarray(start + extrasLength + keyLength, start + body).toString(),
    });
    offset = start + body;
  }
  return responses;
}

describe.skipIf(!available)('binary protocol through the proxy', () => {
  let proxy: RunningProxy;
  let client: RawClient;
  const key = (name: string) => `${run}:bin:${name}`;

  beforeAll(async () => {
    proxy = await startTestProxy({ maxValueBytes: 10_000 });
  });
  afterAll(async () => {
    await proxy?.close();
  });
  beforeEach(async () => {
    client?.close();
    client = await RawClient.connect(proxy.address.port);
  });

  /** Sends packets and waits for `count` responses. */
  async function exchange(packets: Buffer[], count: number): Promise<Response[]> {
    client.take();
    client.write(Buffer.concat(packets));
    await client.until((bytes) => parseResponses(bytes).length >= count);
    const responses = parseResponses(client.bytes);
    client.take();
    return responses;
  }

  it('a many-key get as getkq per key then noop: hits only, in order, noop last', async () => {
    const keys = Array.from({ length: 40 }, (_, index) => key(`m${index}`));
    expect(new Set(keys.map((name) => hashRing(memcached.nodes).locate(name))).size).toBe(3);
    const stored = keys.filter((_, index) => index % 3 !== 0);
    const sets = stored.map((name, index) =>
      packet(Opcode.setQ, { key: name, extras: storeExtras(index, 0), value: `v:${name}`, opaque: index }),
    );
    // Quiet sets answer nothing on success: only the noop comes back.
    expect(await exchange([...sets, packet(Opcode.noop, { opaque: 999 })], 1)).toEqual([
      expect.objectContaining({ opcode: Opcode.noop, opaque: 999, status: 0 }),
    ]);
    const gets = keys.map((name, index) => packet(Opcode.getKQ, { key: name, opaque: 1000 + index }));
    const responses = await exchange([...gets, packet(Opcode.noop, { opaque: 7 })], stored.length + 1);
    expect(responses.map((response) => response.key)).toEqual([...stored, '']);
    expect(responses.at(-1)).toMatchObject({ opcode: Opcode.noop, opaque: 7 });
    for (const response of responses.slice(0, -1)) {
      expect(response.status).toBe(0);
      expect(response.value).toBe(`v:${response.key}`);
      expect(response.cas).not.toBe(0n);
      expect(response.opaque).toBe(1000 + keys.indexOf(response.key));
    }
  });

  it('answers storage, cas, append/prepend, delete and touch with memcached statuses', async () => {
    const a = key('a');
    const [set, add, get] = await exchange(
      [
        packet(Opcode.set, { key: a, extras: storeExtras(5, 0), value: 'one', opaque: 1 }),
        packet(Opcode.add, { key: a, extras: storeExtras(0, 0), value: 'x', opaque: 2 }),
        packet(Opcode.get, { key: a, opaque: 3 }),
      ],
      3,
    );
    expect(set).toMatchObject({ opcode: Opcode.set, status: 0, opaque: 1 });
    expect(add).toMatchObject({ status: BinaryStatus.exists, opaque: 2, value: 'Data exists for key.' });
    expect(get).toMatchObject({ status: 0, value: 'one', key: '' });
    expect(get!.extras.readUInt32BE(0)).toBe(5);

    const [stale, fresh] = await exchange(
      [
        packet(Opcode.set, { key: a, extras: storeExtras(0, 0), value: 'two', cas: get!.cas + 1000n }),
        packet(Opcode.set, { key: a, extras: storeExtras(0, 0), value: 'two', cas: get!.cas }),
      ],
      2,
    );
    expect(stale?.status).toBe(BinaryStatus.exists);
    expect(fresh?.status).toBe(0);

    const responses = await exchange(
      [
        packet(Opcode.append, { key: a, value: '!' }),
        packet(Opcode.prepend, { key: a, value: '>' }),
        packet(Opcode.getK, { key: a }),
        packet(Opcode.replace, { key: key('none'), extras: storeExtras(0, 0), value: 'x' }),
        packet(Opcode.append, { key: key('none'), value: 'x' }),
        packet(Opcode.touch, { key: a, extras: Buffer.from([0, 0, 0, 100]) }),
        packet(Opcode.gat, { key: a, extras: Buffer.from([0, 0, 0, 100]) }),
        packet(Opcode.delete, { key: a }),
        packet(Opcode.deleteQ, { key: a, opaque: 77 }),
        packet(Opcode.getQ, { key: a }),
        packet(Opcode.get, { key: a }),
      ],
      10,
    );
    expect(responses.map((response) => [response.opcode, response.status])).toEqual([
      [Opcode.append, 0],
      [Opcode.prepend, 0],
      [Opcode.getK, 0],
      [Opcode.replace, BinaryStatus.notFound],
      [Opcode.append, BinaryStatus.notStored],
      [Opcode.touch, 0],
      [Opcode.gat, 0],
      [Opcode.delete, 0],
      [Opcode.deleteQ, BinaryStatus.notFound], // quiet commands still report failures
      [Opcode.get, BinaryStatus.notFound],
    ]);
    expect(responses[2]).toMatchObject({ key: a, value: '>two!' });
    expect(responses[6]).toMatchObject({ value: '>two!' });
  });

  it('counts with an initial value, refuses to create with exptime 0xffffffff, reports non-numeric values', async () => {
    const n = key('n');
    const responses = await exchange(
      [
        packet(Opcode.increment, { key: n, extras: counterExtras(1n, 5n, 0xffffffff) }),
        packet(Opcode.increment, { key: n, extras: counterExtras(1n, 5n, 0) }),
        packet(Opcode.increment, { key: n, extras: counterExtras(10n, 5n, 0) }),
        packet(Opcode.decrement, { key: n, extras: counterExtras(100n, 5n, 0) }),
        packet(Opcode.set, { key: key('text'), extras: storeExtras(0, 0), value: 'abc' }),
        packet(Opcode.increment, { key: key('text'), extras: counterExtras(1n, 0n, 0) }),
      ],
      6,
    );
    const counts = responses.map((response) =>
      response.status === 0 && response.opcode !== Opcode.set
        ? Buffer.from(response.value, 'latin1').length === 8
          ? Number(Buffer.from(response.value, 'latin1').readBigUInt64BE(0))
          : response.value
        : response.status,
    );
    expect(counts).toEqual([BinaryStatus.notFound, 5, 15, 0, 0, BinaryStatus.nonNumeric]);
  });

  it('refuses keys the text protocol cannot carry, too large values and unknown opcodes, and goes on', async () => {
    const responses = await exchange(
      [
        packet(Opcode.get, { key: 'has space', opaque: 1 }),
        packet(Opcode.get, { key: 'line\r\nbreak', opaque: 2 }),
        packet(Opcode.set, {
          key: key('big'),
          extras: storeExtras(0, 0),
          value: Buffer.alloc(20_000),
          opaque: 3,
        }),
        packet(Opcode.set, { key: key('bad'), extras: Buffer.alloc(3), value: 'x', opaque: 4 }),
        packet(0x42, { opaque: 5 }),
        packet(Opcode.version, { opaque: 6 }),
      ],
      6,
    );
    expect(responses.map((response) => [response.opaque, response.status])).toEqual([
      [1, BinaryStatus.invalid],
      [2, BinaryStatus.invalid],
      [3, BinaryStatus.tooLarge],
      [4, BinaryStatus.invalid],
      [5, BinaryStatus.unknownCommand],
      [6, 0],
    ]);
    expect(responses[5]!.value).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('deletes the old value of a key whose set is too large, as memcached does', async () => {
    const old = key('old');
    const kept = key('kept');
    const store = (name: string, value: string | Buffer, opcode: number = Opcode.set) =>
      packet(opcode, { key: name, extras: storeExtras(0, 0), value, opaque: 1 });
    await exchange([store(old, 'old'), store(kept, 'kept')], 2);
    const big = Buffer.alloc(20_000, 1);
    const responses = await exchange(
      [
        store(old, big),
        store(kept, big, Opcode.add),
        packet(Opcode.get, { key: old, opaque: 2 }),
        packet(Opcode.get, { key: kept, opaque: 3 }),
      ],
      4,
    );
    expect(responses.map((response) => response.status)).toEqual([
      BinaryStatus.tooLarge,
      BinaryStatus.tooLarge,
      BinaryStatus.notFound,
      0,
    ]);
    expect(responses[3]!.value).toBe('kept');
  });

  it('answers stat as one packet per stat and an empty terminator; quit answers, then closes', async () => {
    client.write(packet(Opcode.stat, { opaque: 9 }));
    await client.until((bytes) => parseResponses(bytes).some((response) => response.key === ''));
    const stats = parseResponses(client.bytes);
    client.take();
    expect(stats.every((response) => response.opcode === Opcode.stat && response.opaque === 9)).toBe(true);
    expect(stats.at(-1)).toMatchObject({ key: '', value: '', status: 0 });
    const byName = new Map(stats.map((response) => [response.key, response.value]));
    expect(byName.get('pool')).toBe('ringcache');
    expect(byName.get(`server:${memcached.nodes[0]}:status`)).toBe('up');

    client.write(Buffer.concat([packet(Opcode.quit, { opaque: 3 }), packet(Opcode.noop)]));
    await client.until(() => client.closed);
    expect(parseResponses(client.bytes)).toEqual([
      expect.objectContaining({ opcode: Opcode.quit, opaque: 3 }),
    ]);
  });
});
