import { Socket } from 'node:net';

export { disposableHazelcast, disposableMemcached, disposableRedisCluster } from './disposable.mjs';
export * from './endpoints.mjs';
export { freePort, testCertificate } from './tls.mjs';

/**
 * True under CI (`CI=true` or `CI=1`): a test that needs something missing (an engine, a browser)
 * must then fail rather than skip. One rule for every test, here.
 */
export const isCi = process.env.CI === 'true' || process.env.CI === '1';

/** True when something accepts TCP connections on host:port within `timeoutMs`. */
export function isListening(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/**
 * Checks that every address of an engine answers. Under CI=true a missing engine is an error
 * (the test file fails); locally it returns false with a visible warning, so the caller skips.
 * @param {string} name a label for messages ('redis-cluster', 'memcached', 'hazelcast')
 * @param {string[]} addresses 'host:port' strings
 */
export async function requireEngine(name, addresses) {
  const checks = await Promise.all(
    addresses.map((address) => {
      const index = address.lastIndexOf(':');
      return isListening(address.slice(0, index), Number(address.slice(index + 1)));
    }),
  );
  if (checks.every(Boolean)) return true;
  const missing = addresses.filter((_, index) => !checks[index]).join(', ');
  const message = `test engine ${name} is not running (${missing}); start it with 'npm run servers:up'`;
  if (isCi) throw new Error(message);
  console.warn(`\n⚠ SKIPPING: ${message}\n`);
  return false;
}
export { ensureHazelcastJar } from './hazelcast.mjs';
