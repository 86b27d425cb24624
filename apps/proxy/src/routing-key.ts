/**
 * The part of a key that is hashed, with nutcracker's `hash_tag` rule (server_pool_idx): when
 * the key holds the opening tag character and, after it, the closing one with at least one
 * character between them, only that part is hashed. `user:{42}:name` and `cart:{42}` share a
 * server with `hash_tag: "{}"`. Otherwise the whole key is hashed.
 */
export function routingKey(key: string, hashTag: string | undefined): string {
  if (hashTag === undefined) return key;
  const [open, close] = [...hashTag] as [string, string];
  const start = key.indexOf(open);
  if (start < 0) return key;
  const end = key.indexOf(close, start + open.length);
  if (end < 0 || end === start + open.length) return key;
  return key.slice(start + open.length, end);
}
