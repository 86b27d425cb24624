// Every memcached node of `npm run servers:up` stores and returns values (text protocol, no client).
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { memcached, requireEngine } from '../engines/index.mjs';

const available = await requireEngine('memcached', memcached.nodes);

/** Sends `request` to one node and resolves with the reply once it ends with `terminator`. */
function send(port: number, request: string, terminator: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let reply = '';
    socket.setTimeout(2000, () => socket.destroy(new Error(`memcached ${port}: no reply to ${request}`)));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (terminator.test(reply)) {
        socket.end();
        resolve(reply);
      }
    });
    socket.connect(port, '127.0.0.1', () => socket.write(request));
  });
}

const LINE_END = /\r\n$/;
const GET_END = /END\r\n$/;

describe.skipIf(!available)('memcached test engine', () => {
  it.each(memcached.ports)('sets, gets and deletes on port %i', async (port) => {
    const key = `ringcache:smoke:${process.pid}:${port}`;
    const value = `value on ${port}`;
    const length = Buffer.byteLength(value);
    expect(await send(port, `set ${key} 7 60 ${length}\r\n${value}\r\n`, LINE_END)).toBe('STORED\r\n');
    expect(await send(port, `get ${key}\r\n`, GET_END)).toBe(
      `VALUE ${key} 7 ${length}\r\n${value}\r\nEND\r\n`,
    );
    expect(await send(port, `delete ${key}\r\n`, LINE_END)).toBe('DELETED\r\n');
    expect(await send(port, `get ${key}\r\n`, GET_END)).toBe('END\r\n');
  });
});
