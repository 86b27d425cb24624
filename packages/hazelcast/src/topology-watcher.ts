import { type AdapterEvent, type CacheNode, parseNodeSpec } from '@ringcache/core';
import type { Client, Member, UUID } from 'hazelcast-client';
import { type HazelcastTopology, hazelcastTopology, NO_OWNER } from './hazelcast-topology.js';
import { SAMPLE_KEYS, stringPartitionId } from './partition-hash.js';

/** A data member as the watcher last saw it. */
export interface MemberInfo {
  readonly node: CacheNode;
  readonly uuid: UUID;
}

/**
 * Mirrors the client's member list and partition table as immutable HazelcastTopology
 * snapshots. hazelcast-client has no public partition-table event, so the table is compared on
 * a timer (271 owner lookups, nothing sent to the cluster) and at once on membership events;
 * a change produces a new snapshot and a `topology:change` event.
 */
export class TopologyWatcher {
  current: HazelcastTopology;
  members: readonly MemberInfo[] = [];
  private owners: (UUID | undefined)[] = [];
  private partitionIdOf: ((key: string) => number) | undefined;
  /** Member ids ever seen, so a member coming back is a `node:readmit`. */
  private readonly seen = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private membershipListenerId: string | undefined;
  private readonly followUps = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly client: Client,
    private readonly emit: (event: AdapterEvent) => void,
  ) {
    this.current = hazelcastTopology([], new Uint16Array(0), () => 0);
  }

  start(intervalMs: number): void {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), intervalMs);
    this.timer.unref?.();
    // The partition table follows a membership change by a few milliseconds: look again soon.
    const soon = () => {
      this.refresh();
      for (const delay of [50, 250]) {
        const timer = setTimeout(() => {
          this.followUps.delete(timer);
          this.refresh();
        }, delay);
        timer.unref?.();
        this.followUps.add(timer);
      }
    };
    this.membershipListenerId = this.client.getCluster().addMembershipListener({
      memberAdded: soon,
      memberRemoved: soon,
    });
  }

  stop(): void {
    clearInterval(this.timer);
    for (const timer of this.followUps) clearTimeout(timer);
    this.followUps.clear();
    if (this.membershipListenerId !== undefined) {
      try {
        this.client.getCluster().removeMembershipListener(this.membershipListenerId);
      } catch {
        // The client is already shut down: nothing to remove.
      }
    }
  }

  /** Takes a new snapshot when members or partition owners changed. @returns true on a change */
  refresh(): boolean {
    let dataMembers: Member[];
    let owners: (UUID | undefined)[];
    try {
      dataMembers = this.client.getCluster().getMembers((member) => !member.liteMember);
      const service = this.client.getPartitionService();
      owners = Array.from({ length: service.getPartitionCount() }, (_, partition) =>
        service.getPartitionOwner(partition),
      );
    } catch (error) {
      this.emit({ type: 'client:error', node: undefined, error });
      return false;
    }
    const members = dataMembers.map((member) => ({
      node: parseNodeSpec({ host: member.address.host, port: member.address.port }),
      uuid: member.uuid,
    }));
    if (!this.changed(members, owners)) return false;

    const previous = new Set(this.members.map((member) => member.node.id));
    const indexByUuid = new Map(members.map((member, index) => [member.uuid.toString(), index]));
    const table = new Uint16Array(owners.length);
    owners.forEach((uuid, partition) => {
      table[partition] = (uuid && indexByUuid.get(uuid.toString())) ?? NO_OWNER;
    });
    this.members = members;
    this.owners = owners;
    this.current = hazelcastTopology(
      members.map((member) => member.node),
      table,
      this.keyToPartition(owners.length),
    );

    const now = new Set(members.map((member) => member.node.id));
    for (const id of previous) {
      if (!now.has(id)) this.emit({ type: 'node:eject', node: id, reason: 'the member left the cluster' });
    }
    for (const id of now) {
      if (!previous.has(id) && this.seen.has(id)) this.emit({ type: 'node:readmit', node: id });
      this.seen.add(id);
    }
    this.emit({ type: 'topology:change', topology: this.current });
    return true;
  }

  /** Owners are new UUID objects whenever the client applies a new table: compare by identity first. */
  private changed(members: readonly MemberInfo[], owners: readonly (UUID | undefined)[]): boolean {
    if (members.length !== this.members.length || owners.length !== this.owners.length) return true;
    for (let index = 0; index < members.length; index++) {
      const before = this.members[index]!;
      const after = members[index]!;
      if (before.node.id !== after.node.id || !before.uuid.equals(after.uuid)) return true;
    }
    for (let partition = 0; partition < owners.length; partition++) {
      const before = this.owners[partition];
      const after = owners[partition];
      if (before === after) continue;
      if (before === undefined || after === undefined || !before.equals(after)) return true;
    }
    return false;
  }

  /**
   * The fast partition function when it agrees with the client's own on the self-check keys,
   * otherwise the client's (slower, but routing and topology can never disagree).
   */
  private keyToPartition(partitionCount: number): (key: string) => number {
    if (this.partitionIdOf !== undefined || partitionCount === 0) return this.partitionIdOf ?? (() => 0);
    const service = this.client.getPartitionService();
    const fast = (key: string) => stringPartitionId(key, partitionCount);
    const agrees = SAMPLE_KEYS.every((key) => fast(key) === service.getPartitionId(key));
    this.partitionIdOf = agrees ? fast : (key: string) => service.getPartitionId(key);
    return this.partitionIdOf;
  }
}
