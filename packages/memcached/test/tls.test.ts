// The adapter over TLS, against a real memcached started with -Z and a certificate made here.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:tls';
import { createCache } from '@ringcache/core';
import { freePort, type TestCertificate, testCertificate } from '@ringcache/test-engines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memcachedAdapter } from '../src/index.js';
import { sleep } from './support/load.js';

let certificate: TestCertificate | undefined;
let server: ChildProcess | undefined;
let port = 0;
let ca = '';

beforeAll(async () => {
  certificate = testCertificate('memcached-tls');
  const { cert, key } = certificate;
  ca = certificate.ca;
  port = await freePort();
  const args = [
    '-Z',
    '-o',
    `ssl_chain_cert=${cert},ssl_key=${key}`,
    '-l',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    '0',
    '-m',
    '16',
  ];
  // memcached (as nobody) reads the certificate: testCertificate makes it world-readable.
  if (process.getuid?.() === 0) args.push('-u', 'nobody');
  server = spawn('memcached', args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await answersOverTls())) {
    if (Date.now() > deadline || server.exitCode !== null)
      throw new Error('memcached with TLS did not start');
    await sleep(50);
  }
});

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    process.kill(server.pid, 'SIGTERM');
    await exited;
  }
  certificate?.remove();
});

describe('memcached adapter over TLS', () => {
  it('stores and reads through a verified TLS connection', async () => {
    const warnings: string[] = [];
    const adapter = memcachedAdapter({
      servers: [`127.0.0.1:${port}`],
      tls: { ca },
      logger: { warn: (m) => warnings.push(m) },
    });
    const cache = createCache({ adapter, serializer: 'string' });
    try {
      await cache.set('tls:key', 'over tls');
      expect(await cache.get('tls:key')).toBe('over tls');
      expect(warnings).toEqual([]);
    } finally {
      await cache.close();
    }
  });

  it('refuses a server whose certificate it cannot verify, as a node failure', async () => {
    const adapter = memcachedAdapter({ servers: [`127.0.0.1:${port}`], tls: true });
    try {
      await expect(adapter.get('tls:key')).rejects.toMatchObject({ code: 'E_NODE_UNAVAILABLE' });
    } finally {
      await adapter.close();
    }
  });
});

function answersOverTls(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('secureConnect', () => socket.write('version\r\n'));
    socket.on('data', (chunk) => done(chunk.toString().startsWith('VERSION ')));
  });
}
