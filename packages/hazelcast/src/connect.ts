import { ConfigError, NodeUnavailableError } from '@ringcache/core';
import { Client } from 'hazelcast-client';
import { connectToAllMembers } from './client-internals.js';
import {
  buildClientConfig,
  type ClientHooks,
  type HazelcastAdapterOptions,
  type ResolvedOptions,
} from './options.js';

/**
 * Starts a client with the adapter's defaults (see buildClientConfig). It returns at once
 * (`asyncStart`) and connects in the background, to every member.
 * @throws ConfigError when hazelcast-client rejects the configuration
 */
export async function createClient(
  options: HazelcastAdapterOptions,
  resolved: ResolvedOptions,
  hooks: ClientHooks,
): Promise<Client> {
  let client: Client;
  try {
    client = await Client.newHazelcastClient(buildClientConfig(options, resolved, hooks));
  } catch (error) {
    throw new ConfigError(`hazelcast-client rejected the configuration: ${(error as Error).message}`, {
      cause: error,
    });
  }
  connectToAllMembers(client);
  return client;
}

/**
 * Resolves once the client is connected to the cluster (it knows the partition count, sent on
 * authentication).
 * @throws NodeUnavailableError when that takes longer than `timeoutMs`
 */
export async function waitForCluster(client: Client, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (client.getPartitionService().getPartitionCount() === 0) {
    if (Date.now() >= deadline || !client.getLifecycleService().isRunning()) {
      throw new NodeUnavailableError(
        `no Hazelcast cluster connection within ${timeoutMs} ms: is the cluster up?`,
      );
    }
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a NodeUnavailableError at `deadline` (the promise is still observed). */
export async function withDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NodeUnavailableError(`${what} by the connect deadline`)),
      Math.max(0, deadline - Date.now()),
    );
  });
  promise.catch(() => {});
  try {
    return await Promise.race([promise, expiry]);
  } finally {
    clearTimeout(timer);
  }
}
