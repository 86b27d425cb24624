import { createServer, type Server, Socket } from 'node:net';
import type { AdapterFaults } from '@ringcache/core';

export interface FaultRelay {
  /** `127.0.0.1:port` of each relay, in the order of the targets. */
  readonly nodes: string[];
  /** stopNode: the relay stops listening and drops its connections (refused, like a killed server). */
  readonly faults: AdapterFaults;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of each shared memcached, so the conformance suite can take a node away
 * (connections dropped, new ones refused) without touching servers other suites use at the
 * same time. The adapter sees exactly what a killed server looks like on the wire.
 */
export async function faultRelay(targets: readonly string[]): Promise<FaultRelay> {
  const relays = await Promise.all(targets.map((target) => startRelay(target)));
  const byNode = new Map(relays.map((relay) => [relay.node, relay]));
  const relayOf = (id: string) => {
    const relay = byNode.get(id);
    if (relay === undefined) throw new Error(`no relay for ${id}`);
    return relay;
  };
  return {
    nodes: relays.map((relay) => relay.node),
    faults: {
      stopNode: async (id) => relayOf(id).stop(),
      startNode: async (id) => relayOf(id).start(),
    },
    close: async () => {
      await Promise.all(relays.map((relay) => relay.stop()));
    },
  };
}

interface Relay {
  readonly node: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function startRelay(target: string): Promise<Relay> {
  const [host, port] = target.split(':') as [string, string];
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let relayPort = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer((client) => {
        const upstream = new Socket();
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        upstream.connect(Number(port), host, () => {
          client.pipe(upstream);
          upstream.pipe(client);
        });
      });
      next.once('error', reject);
      next.listen(relayPort, '127.0.0.1', () => {
        relayPort = (next.address() as { port: number }).port;
        server = next;
        resolve();
      });
    });
  await listen();
  return {
    node: `127.0.0.1:${relayPort}`,
    async stop() {
      const current = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (current !== undefined) await new Promise((resolve) => current.close(resolve));
    },
    async start() {
      if (server === undefined) await listen();
    },
  };
}
