// What tests of TLS connections share: a self-signed certificate for 127.0.0.1, and a free port
// for a server they start themselves.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A self-signed certificate for IP 127.0.0.1 (valid one day), made with openssl in a new
 * temporary directory that servers running as another user (`nobody`) can read.
 */
export function testCertificate(label = 'tls') {
  const directory = mkdtempSync(join(tmpdir(), `ringcache-${label}-`));
  const cert = join(directory, 'cert.pem');
  const key = join(directory, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  chmodSync(directory, 0o755);
  chmodSync(cert, 0o644);
  chmodSync(key, 0o644);
  return {
    directory,
    cert,
    key,
    ca: readFileSync(cert, 'utf8'),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** A TCP port nothing listens on at 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
