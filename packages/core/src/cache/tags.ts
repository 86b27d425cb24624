import { randomBytes } from 'node:crypto';
import { InvalidKeyError, PartialError } from '../errors.js';
import type { CacheCore } from './cache-core.js';
import type { KeyPipeline } from './key-pipeline.js';
import type { TagVersionCache } from './tag-version-cache.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Tag invalidation by version counters: each tag has a version key in the engine; an entry
 * records the versions of its tags when written and is a miss once any of them changed. So
 * `invalidateTags` is one write per tag, on every engine (memcached included), whatever the
 * number of tagged entries. Tags are shared by every namespace of the engine. With an L1 on a
 * bus, versions read are kept in the process (`TagVersionCache`) until a tag invalidation is
 * heard, so checking a tagged entry costs no engine read while its tags are unchanged.
 */
export class TagVersions {
  constructor(
    private readonly core: CacheCore,
    private readonly keys: KeyPipeline,
    private readonly known?: TagVersionCache,
  ) {}

  /** The current version of each tag, creating versions for tags never seen. */
  async current(tags: readonly string[]): Promise<Record<string, string>> {
    const finals = tags.map((tag) => this.versionKey(tag));
    const epoch = this.known?.begin();
    const stored = await this.read(finals);
    this.known?.remember(
      epoch,
      tags,
      stored.map((bytes) => (bytes === undefined ? undefined : decoder.decode(bytes))),
    );
    const versions: Record<string, string> = {};
    const created: { key: string; value: Uint8Array; ttl: number }[] = [];
    tags.forEach((tag, index) => {
      const bytes = stored[index];
      if (bytes !== undefined) {
        versions[tag] = decoder.decode(bytes);
        return;
      }
      versions[tag] = newVersion();
      created.push({ key: finals[index]!, value: encoder.encode(versions[tag]), ttl: 0 });
    });
    if (created.length > 0) await this.write(created);
    return versions;
  }

  /** True when every recorded version is still current. A lost version key counts as changed. */
  async valid(recorded: Record<string, string>): Promise<boolean> {
    const tags = Object.keys(recorded);
    if (tags.length === 0 || this.known?.matches(recorded, tags)) return true;
    const finals = tags.map((tag) => this.versionKey(tag));
    const epoch = this.known?.begin();
    const stored = await this.read(finals);
    const versions = stored.map((bytes) => (bytes === undefined ? undefined : decoder.decode(bytes)));
    this.known?.remember(epoch, tags, versions);
    return tags.every((tag, index) => versions[index] === recorded[tag]);
  }

  async invalidate(tags: readonly string[], signal: AbortSignal | undefined): Promise<void> {
    if (tags.length === 0) return;
    await this.write(
      tags.map((tag) => ({ key: this.versionKey(tag), value: encoder.encode(newVersion()), ttl: 0 })),
      signal,
    );
    // After the engine holds the new versions, so a process that hears it reads them.
    await this.known?.invalidated(tags);
  }

  close(): Promise<void> {
    return this.known?.close() ?? Promise.resolve();
  }

  /**
   * The stored versions. The versions of one entry make one check, so a key that failed fails it
   * with that key's own error (`E_NODE_UNAVAILABLE`, ...) rather than an `E_PARTIAL` of tag keys.
   */
  private async read(finals: string[]): Promise<(Uint8Array | undefined)[]> {
    try {
      return await this.core.call('getMany', undefined, undefined, undefined, () =>
        this.core.adapter.getMany(finals),
      );
    } catch (error) {
      if (!(error instanceof PartialError)) throw error;
      const failed = error.results.find((outcome) => !outcome.ok);
      throw failed !== undefined && !failed.ok ? failed.error : error;
    }
  }

  private versionKey(tag: string): string {
    if (typeof tag !== 'string' || tag.length === 0)
      throw new InvalidKeyError('a tag must be a non-empty string');
    return this.keys.finalKey(`@ringcache:tag:${tag}`);
  }

  private async write(entries: { key: string; value: Uint8Array; ttl: number }[], signal?: AbortSignal) {
    await this.core.call('setMany', undefined, undefined, signal, () =>
      this.core.adapter.setMany(entries, { signal }),
    );
  }
}

function newVersion(): string {
  return randomBytes(6).toString('base64url');
}
