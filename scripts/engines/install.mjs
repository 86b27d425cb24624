// Finds the engines' binaries and installs the missing ones with apt-get when we may (root, or
// password-less sudo, on Debian/Ubuntu). Otherwise fails with the exact packages to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Binaries each engine kind needs, with the Debian package providing them. */
export const REQUIREMENTS = Object.freeze({
  redis: [
    { binary: 'redis-server', aptPackage: 'redis-server' },
    { binary: 'redis-cli', aptPackage: 'redis-tools' },
  ],
  // nutcracker (twemproxy) and libmemcached's tools are the reference implementations the
  // memcached routing tests compare ketama placement against.
  memcached: [
    { binary: 'memcached', aptPackage: 'memcached' },
    { binary: 'nutcracker', aptPackage: 'nutcracker' },
    { binary: 'memcping', aptPackage: 'libmemcached-tools' },
    // libmemcached's ketama through Debian's Python binding: the libmemcached-compatibility proof.
    { path: '/usr/lib/python3/dist-packages/pylibmc', aptPackage: 'python3-pylibmc' },
  ],
  hazelcast: [{ binary: 'java', aptPackage: 'openjdk-17-jre-headless' }],
  // Not an engine: the sample app's end-to-end test drives the dashboard in headless Chromium.
  browser: [{ binary: 'chromium', aptPackage: 'chromium' }],
});

/** True when a requirement's binary is on PATH, or its file exists. */
function isPresent(requirement) {
  if (requirement.path !== undefined) return existsSync(requirement.path);
  return which(requirement.binary) !== undefined;
}

// nutcracker lands in /usr/sbin, which is not on every user's PATH.
const EXTRA_DIRECTORIES = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** Absolute path of `binary` on PATH (or an sbin folder), undefined when absent. */
export function which(binary) {
  const directories = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRECTORIES];
  for (const directory of directories) {
    if (!directory) continue;
    const candidate = join(directory, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

function canUseSudo() {
  return which('sudo') !== undefined && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * Ensures every binary the given engine kinds need is present, installing the missing ones with
 * one `apt-get install` when possible.
 * @param {string[]} kinds e.g. ['redis', 'memcached']
 */
export function ensureBinaries(kinds) {
  const missing = kinds.flatMap((kind) =>
    REQUIREMENTS[kind].filter((requirement) => !isPresent(requirement)),
  );
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(({ aptPackage }) => aptPackage))];
  const binaries = missing.map(({ binary, path }) => binary ?? path).join(', ');
  const isRoot = process.getuid?.() === 0;
  const prefix = isRoot ? [] : canUseSudo() ? ['sudo', '-n'] : undefined;
  if (!which('apt-get') || !prefix) {
    throw new Error(
      `missing ${binaries}. Install them first, e.g. 'sudo apt-get install -y ${packages.join(' ')}' ` +
        `(Debian/Ubuntu) or 'brew install redis memcached twemproxy libmemcached openjdk@17' (macOS).`,
    );
  }
  console.log(`Installing ${packages.join(' ')} with apt-get (missing: ${binaries})...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args) => {
    const [command, ...rest] = [...prefix, ...args];
    execFileSync(command, rest, { stdio: 'inherit', env });
  };
  // Wait for another apt/dpkg run (unattended upgrades, a parallel job) instead of failing at once.
  const lockTimeout = ['-o', 'DPkg::Lock::Timeout=300'];
  run(['apt-get', ...lockTimeout, 'update', '-qq']);
  run(['apt-get', ...lockTimeout, 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
  const stillMissing = missing
    .filter((requirement) => !isPresent(requirement))
    .map(({ binary, path }) => binary ?? path);
  if (stillMissing.length > 0)
    throw new Error(`apt-get finished but ${stillMissing.join(', ')} still missing`);
}
