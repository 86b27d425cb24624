import { randomBytes } from 'node:crypto';
import { InvalidKeyError, PartialError } from '../errors.js';
import type { CacheCore } from './cache-core.js';
import type { KeyPipeline } from './key-pipeline.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Tag invalidation by version counters: each tag has a version key in the engine; an entry
 * records the versions of its tags when written and is a miss once any of them changed. So
 * `invalidateTags` is one write per tag, on every engine (memcached included), whatever the
 * number of tagged entries. Tags are shared by every namespace of the engine.
 */
export class TagVersions {
  constructor(
    private readonly core: CacheCore,
    private readonly keys: KeyPipeline,
  ) {}

  /** The current version of each tag, creating versions for tags never seen. */
  async current(tags: readonly string[]): Promise<Record<string, string>> {
    const finals = tags.map((tag) => this.versionKey(tag));
    const stored = await this.read(finals);
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
    if (tags.length === 0) return true;
    const finals = tags.map((tag) => this.versionKey(tag));
    const stored = await this.read(finals);
    return tags.every((tag, index) => {
      const bytes = stored[index];
      return bytes !== undefined && decoder.decode(bytes) === recorded[tag];
    });
  }

  async invalidate(tags: readonly string[], signal: AbortSignal | undefined): Promise<void> {
    if (tags.length === 0) return;
    await this.write(
      tags.map((tag) => ({ key: this.versionKey(tag), value: encoder.encode(newVersion()), ttl: 0 })),
      signal,
    );
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
