import { createHash } from 'node:crypto';
import type { AdapterCapabilities } from '../adapter.js';
import { InvalidKeyError, KeyTooLongError } from '../errors.js';

/** `String.prototype.isWellFormed` (ES2024, in Node ≥ 20), beyond this project's ES2022 typings. */
interface WellFormedCheck {
  isWellFormed(): boolean;
}

export type LongKeyPolicy = 'error' | 'hash';

/**
 * Turns a user key into the key the adapter sees, in DESIGN.md's order: namespace prefix →
 * long-key hashing (if enabled) → validation of the final key. Runs before any I/O, once for
 * every adapter.
 */
export class KeyPipeline {
  private readonly maxKeyBytes: number;
  private readonly printableOnly: boolean;

  constructor(
    readonly prefix: string,
    private readonly capabilities: Pick<AdapterCapabilities, 'maxKeyBytes' | 'keyCharacters'>,
    private readonly longKeys: LongKeyPolicy,
  ) {
    this.maxKeyBytes = capabilities.maxKeyBytes;
    this.printableOnly = capabilities.keyCharacters === 'printable';
  }

  /** A pipeline for a child namespace, sharing the limits. */
  child(name: string): KeyPipeline {
    if (typeof name !== 'string' || name.length === 0)
      throw new InvalidKeyError('a namespace must be a non-empty string');
    return new KeyPipeline(`${this.prefix}${name}:`, this.capabilities, this.longKeys);
  }

  /** @throws InvalidKeyError, KeyTooLongError */
  finalKey(key: unknown): string {
    if (typeof key !== 'string') throw new InvalidKeyError(`a key must be a string, got ${typeof key}`);
    if (key.length === 0) throw new InvalidKeyError('a key must not be empty');
    // A lone surrogate encodes to U+FFFD in UTF-8: 'a\ud800' and 'a\ufffd' would share one entry.
    if (!(key as unknown as WellFormedCheck).isWellFormed())
      throw new InvalidKeyError('a key must be well-formed UTF-16 (no lone surrogates)');
    let final = this.prefix + key;
    // A UTF-16 unit is at most 3 UTF-8 bytes: short keys skip the byte count.
    if (final.length * 3 > this.maxKeyBytes) {
      const bytes = Buffer.byteLength(final, 'utf8');
      if (bytes > this.maxKeyBytes) {
        if (this.longKeys !== 'hash') {
          throw new KeyTooLongError(`key is ${bytes} bytes; the adapter allows ${this.maxKeyBytes}`, {
            key: final,
          });
        }
        // Keep the namespace prefix so namespace clears still find hashed keys.
        final = `${this.prefix}#sha256:${createHash('sha256').update(key).digest('base64url')}`;
        if (Buffer.byteLength(final, 'utf8') > this.maxKeyBytes) {
          throw new KeyTooLongError(`the namespace prefix leaves no room for a hashed key`, { key: final });
        }
      }
    }
    if (this.printableOnly && hasForbiddenCharacter(final)) {
      throw new InvalidKeyError('this adapter forbids whitespace and control characters in keys', {
        key: final,
      });
    }
    return final;
  }

  /** The user key of a final key (for events); hashed keys stay hashed. */
  userKey(final: string): string {
    return final.slice(this.prefix.length);
  }
}

/** Text protocols (memcached) end a key at whitespace or a control character. */
function hasForbiddenCharacter(key: string): boolean {
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    if (
      code <= 0x20 ||
      code === 0x7f ||
      code === 0x85 ||
      code === 0xa0 ||
      code === 0x2028 ||
      code === 0x2029
    ) {
      return true;
    }
  }
  return false;
}

/** @throws InvalidKeyError unless `name` is a non-empty string */
export function assertNamespaceName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0)
    throw new InvalidKeyError('a namespace must be a non-empty string');
}
