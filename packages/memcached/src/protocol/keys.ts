import { InvalidKeyError, KeyTooLongError } from '@ringcache/core';
import { MAX_KEY_BYTES } from './types.js';

/**
 * The text protocol ends a key at a space and a line at CR/LF: a key holding either would
 * smuggle a second command onto the wire, so every encoded key is checked here, not only by
 * the facade's validation. Space, ASCII control characters and DEL are refused.
 */
function hasForbiddenCharacter(key: string): boolean {
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** True when `key` can go on the wire: 1–250 UTF-8 bytes, no space, no ASCII control character. */
export function isValidKey(key: string): boolean {
  if (typeof key !== 'string' || key.length === 0) return false;
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short keys skip the byte count.
  if (key.length * 3 > MAX_KEY_BYTES && Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return false;
  return !hasForbiddenCharacter(key);
}

/**
 * @throws InvalidKeyError for an empty key or one holding a space or control character
 * @throws KeyTooLongError above 250 UTF-8 bytes
 */
export function assertValidKey(key: string): void {
  if (isValidKey(key)) return;
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidKeyError('a memcached key must be a non-empty string');
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new KeyTooLongError(`a memcached key is at most ${MAX_KEY_BYTES} bytes, got ${bytes}`, { key });
  }
  throw new InvalidKeyError('a memcached key must not hold spaces or control characters', { key });
}
