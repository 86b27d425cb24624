// Hazelcast members from the open-source jar, on loopback, joined by TCP/IP (no multicast).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { which } from './install.mjs';
import { instanceDir, isAlive, readPid, spawnInstance, tail, waitUntil } from './process.mjs';

const HOST = '127.0.0.1';
export const HAZELCAST_VERSION = '5.5.0';
const MAVEN_CENTRAL = 'https://repo1.maven.org/maven2';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1';

// Hazelcast asks for these to reach JDK internals it uses for performance; without them it warns.
// biome-ignore format: one flag and its value per line
const JAVA_MODULE_FLAGS = [
  '--add-modules', 'java.se',
  '--add-exports', 'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
  '--add-opens', 'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens', 'java.management/sun.management=ALL-UNNAMED',
  '--add-opens', 'jdk.management/com.sun.management.internal=ALL-UNNAMED',
];

export function hazelcastCacheDir() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ringcache', 'hazelcast');
}

/**
 * Path of the Hazelcast jar, fetched into ~/.cache/ringcache/hazelcast/ on first use: with Maven
 * when installed (reuses ~/.m2), otherwise straight from Maven Central with a SHA-1 check.
 */
export async function ensureHazelcastJar(version = HAZELCAST_VERSION) {
  const cacheDir = hazelcastCacheDir();
  const jar = join(cacheDir, `hazelcast-${version}.jar`);
  if (existsSync(jar)) return jar;
  // Fetch into a private folder and rename, so that concurrent runs never see half a jar.
  const staging = join(cacheDir, `.staging-${process.pid}-${Date.now()}`);
  mkdirSync(staging, { recursive: true });
  try {
    const staged = join(staging, `hazelcast-${version}.jar`);
    if (which('mvn')) await fetchWithMaven(version, staging);
    else await fetchFromMavenCentral(version, staged);
    if (!existsSync(staged)) throw new Error(`Hazelcast ${version} jar not found after download`);
    renameSync(staged, jar);
    return jar;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function fetchWithMaven(version, outputDirectory) {
  console.log(`Fetching com.hazelcast:hazelcast:${version} with Maven...`);
  const args = ['-q', '-B', `${DEPENDENCY_PLUGIN}:copy`, `-Dartifact=com.hazelcast:hazelcast:${version}`];
  args.push(`-DoutputDirectory=${outputDirectory}`);
  return new Promise((resolve, reject) => {
    execFile('mvn', args, { cwd: outputDirectory, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`mvn could not fetch the Hazelcast jar: ${error.message}\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

async function fetchFromMavenCentral(version, file) {
  const url = `${MAVEN_CENTRAL}/com/hazelcast/hazelcast/${version}/hazelcast-${version}.jar`;
  console.log(`Fetching ${url} (no Maven installed)...`);
  const [jarResponse, sha1Response] = await Promise.all([fetch(url), fetch(`${url}.sha1`)]);
  if (!jarResponse.ok || !sha1Response.ok)
    throw new Error(`cannot download ${url}: HTTP ${jarResponse.status}`);
  const bytes = Buffer.from(await jarResponse.arrayBuffer());
  const expected = (await sha1Response.text()).trim().split(/\s+/)[0];
  const actual = createHash('sha1').update(bytes).digest('hex');
  if (actual !== expected) throw new Error(`Hazelcast jar checksum mismatch: ${actual} != ${expected}`);
  writeFileSync(file, bytes);
}

/** A member's XML configuration: one fixed port, loopback only, TCP/IP join with the others. */
export function hazelcastConfigXml({ clusterName, port, memberPorts, properties = {} }) {
  const allProperties = {
    'hazelcast.phone.home.enabled': 'false',
    // Bind the chosen interface (127.0.0.1), not 0.0.0.0: the interfaces section alone does not.
    'hazelcast.socket.bind.any': 'false',
    'hazelcast.wait.seconds.before.join': '0',
    // Test members hold no data worth migrating: SIGTERM ends them at once.
    'hazelcast.shutdownhook.policy': 'TERMINATE',
    'hazelcast.health.monitoring.level': 'OFF',
    'hazelcast.logging.type': 'jdk',
    ...properties,
  };
  const propertyLines = Object.entries(allProperties).map(
    ([name, value]) => `    <property name="${name}">${value}</property>`,
  );
  const memberLines = memberPorts.map((memberPort) => `          <member>${HOST}:${memberPort}</member>`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<hazelcast xmlns="http://www.hazelcast.com/schema/config">
  <cluster-name>${clusterName}</cluster-name>
  <properties>
${propertyLines.join('\n')}
  </properties>
  <network>
    <port auto-increment="false" port-count="1">${port}</port>
    <interfaces enabled="true">
      <interface>${HOST}</interface>
    </interfaces>
    <join>
      <auto-detection enabled="false"/>
      <multicast enabled="false"/>
      <tcp-ip enabled="true">
        <member-list>
${memberLines.join('\n')}
        </member-list>
      </tcp-ip>
    </join>
    <rest-api enabled="true">
      <endpoint-group name="HEALTH_CHECK" enabled="true"/>
    </rest-api>
  </network>
</hazelcast>
`;
}

/**
 * Writes the member's config into `root/hazelcast-PORT` and starts it. Does not wait for the
 * cluster: start all members, then `waitForHazelcastCluster`.
 * @returns {Promise<number>} the PID
 */
export async function startHazelcastMember(root, port, options) {
  const { jar, clusterName, memberPorts, heapMb = 256, properties, detached = true } = options;
  const dir = instanceDir(root, 'hazelcast', port);
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'hazelcast.xml');
  writeFileSync(configFile, hazelcastConfigXml({ clusterName, port, memberPorts, properties }));
  const args = [
    `-Xmx${heapMb}m`,
    ...JAVA_MODULE_FLAGS,
    '-Djava.net.preferIPv4Stack=true',
    `-Dhazelcast.config=${configFile}`,
    `-Dringcache.hazelcast.port=${port}`,
    '-cp',
    jar,
    'com.hazelcast.core.server.HazelcastMemberStarter',
  ];
  return spawnInstance('java', args, { dir, logFile: join(dir, 'hazelcast.log'), detached });
}

/** The member's health endpoint (`{ nodeState, clusterState, clusterSize, ... }`), undefined if down. */
export function hazelcastHealth(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const request = get({ host: HOST, port, path: '/hazelcast/health', timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 ? JSON.parse(body) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
  });
}

/** True when every member is active and sees a cluster of exactly `size` members. */
export async function isHazelcastClusterHealthy(ports, size = ports.length) {
  const healths = await Promise.all(ports.map((port) => hazelcastHealth(port)));
  return healths.every((health) => health?.nodeState === 'ACTIVE' && health.clusterSize === size);
}

/**
 * Waits until every member in `ports` sees a cluster of `size`; fails early, with the log, when a
 * member process exits (a bad config or a taken port ends the JVM).
 */
export async function waitForHazelcastCluster(root, ports, size = ports.length, timeoutMs = 60_000) {
  let dead;
  const ready = await waitUntil(
    async () => {
      dead = ports.find((port) => !isAlive(readPid(instanceDir(root, 'hazelcast', port))));
      return dead !== undefined || (await isHazelcastClusterHealthy(ports, size));
    },
    timeoutMs,
    100,
  );
  if (ready && dead === undefined) return;
  const port = dead ?? ports[0];
  const reason = dead ? `member ${dead} exited` : `no cluster of ${size} after ${timeoutMs} ms`;
  throw new Error(
    `Hazelcast: ${reason}:\n${tail(join(instanceDir(root, 'hazelcast', port), 'hazelcast.log'))}`,
  );
}
