import { InvalidTtlError, RingcacheError, SerializeError, ValueTooLargeError } from '../errors.js';
import type { CacheCore } from './cache-core.js';
import { type EnvelopeHeader, looksWrapped, unwrap, wrap } from './envelope.js';
import { checkTtl, effectiveTtl, type SetOptions } from './options.js';
import type { TagVersions } from './tags.js';

/** A decoded entry: `stale` when past its logical expiry but within grace. */
export interface Entry<T> {
  value: T;
  stale: boolean;
  header: EnvelopeHeader | undefined;
}

/**
 * Values ↔ stored bytes: the serializer, the optional envelope (grace, tags, load time), the
 * size limit, and the physical TTL (TTL + grace). One place, so get, set and getOrSet agree.
 */
export class EntryCodec {
  constructor(
    private readonly core: CacheCore,
    private readonly tags: TagVersions,
  ) {}

  /** @throws SerializeError, ValueTooLargeError, InvalidTtlError — before any I/O but tag lookups */
  async encode(
    value: unknown,
    final: string,
    options: SetOptions | undefined,
    loadMs?: number,
  ): Promise<{ key: string; value: Uint8Array; ttl: number }> {
    const ttl = effectiveTtl(options?.ttl, this.core.options);
    const grace = options?.grace ?? 0;
    checkTtl(grace, 'grace', InvalidTtlError);
    let bytes = this.serialize(value, final);
    const header: EnvelopeHeader = {};
    // A logical expiry is needed for grace (stale past it) and early refresh (refresh before it).
    if ((grace > 0 || loadMs !== undefined) && ttl > 0) header.expiresAt = Date.now() + ttl;
    if (loadMs !== undefined && ttl > 0) header.loadMs = Math.round(loadMs);
    if (options?.tags !== undefined && options.tags.length > 0)
      header.tags = await this.tags.current(options.tags);
    if (Object.keys(header).length > 0 || looksWrapped(bytes)) bytes = wrap(header, bytes);
    this.checkSize(bytes, final);
    return { key: final, value: bytes, ttl: ttl > 0 && grace > 0 ? ttl + Math.ceil(grace) : ttl };
  }

  /** Serializes with no envelope (plain `set` without grace or tags takes this path). */
  encodeSync(
    value: unknown,
    final: string,
    ttl: number | undefined,
  ): { key: string; value: Uint8Array; ttl: number } {
    let bytes = this.serialize(value, final);
    // A raw value (bytes, string serializers) that starts like an envelope is escaped in an empty one.
    if (looksWrapped(bytes)) bytes = wrap({}, bytes);
    this.checkSize(bytes, final);
    return { key: final, value: bytes, ttl: effectiveTtl(ttl, this.core.options) };
  }

  /**
   * @returns the entry, or undefined when a tag of it was invalidated. Synchronous unless the
   *   entry has tags to verify, so untagged reads pay no extra await.
   */
  decode<T>(bytes: Uint8Array, final: string): Entry<T> | undefined | Promise<Entry<T> | undefined> {
    // Most entries carry no envelope: no split, no closure.
    if (!looksWrapped(bytes))
      return { value: this.deserialize<T>(bytes, final), stale: false, header: undefined };
    const { header, payload } = unwrap(bytes);
    const entry = (): Entry<T> => ({
      value: this.deserialize<T>(payload, final),
      stale: header?.expiresAt !== undefined && header.expiresAt <= Date.now(),
      header,
    });
    if (header?.tags === undefined) return entry();
    return this.tags.valid(header.tags).then((valid) => (valid ? entry() : undefined));
  }

  private serialize(value: unknown, final: string): Uint8Array {
    if (value === undefined)
      throw new SerializeError('undefined cannot be stored; use delete()', { key: final });
    try {
      return this.core.serializer.serialize(value);
    } catch (error) {
      throw RingcacheError.isInstance(error)
        ? error
        : new SerializeError(String(error), { key: final, cause: error });
    }
  }

  private deserialize<T>(bytes: Uint8Array, final: string): T {
    try {
      return this.core.serializer.deserialize(bytes) as T;
    } catch (error) {
      throw new SerializeError(
        `the stored value of ${final} cannot be decoded by '${this.core.serializer.name}'`,
        {
          key: final,
          cause: error,
        },
      );
    }
  }

  private checkSize(bytes: Uint8Array, final: string): void {
    const limit = this.core.adapter.capabilities.maxValueBytes;
    if (bytes.byteLength > limit) {
      throw new ValueTooLargeError(`value is ${bytes.byteLength} bytes; the adapter allows ${limit}`, {
        key: final,
      });
    }
  }
}
