/**
 * Metadata stored in front of a serialized value, only for entries that need it (grace, tags,
 * early refresh). Plain entries carry none, so other clients of the engine still read them.
 * Layout: "\0RCE" + u32 header length (big-endian) + header JSON + payload.
 */
export interface EnvelopeHeader {
  /** Logical expiry (epoch ms): past it the entry is stale, kept only for grace. */
  expiresAt?: number;
  /** Tag → version at write time; a changed version invalidates the entry. */
  tags?: Record<string, string>;
  /** How long the loader took, ms, for probabilistic early refresh. */
  loadMs?: number;
}

const MAGIC = Uint8Array.of(0x00, 0x52, 0x43, 0x45);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function wrap(header: EnvelopeHeader, payload: Uint8Array): Uint8Array {
  const json = encoder.encode(JSON.stringify(header));
  const out = new Uint8Array(MAGIC.length + 4 + json.length + payload.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length);
  out.set(json, MAGIC.length + 4);
  out.set(payload, MAGIC.length + 4 + json.length);
  return out;
}

/** True when plain bytes would be mistaken for an envelope on read: such values get an empty one. */
export function looksWrapped(bytes: Uint8Array): boolean {
  // Unrolled: this runs on every read and every plain write.
  return (
    bytes.length >= 4 && bytes[0] === 0x00 && bytes[1] === 0x52 && bytes[2] === 0x43 && bytes[3] === 0x45
  );
}

/** Splits an envelope; bytes without one come back as the payload with no header. */
export function unwrap(bytes: Uint8Array): { header: EnvelopeHeader | undefined; payload: Uint8Array } {
  if (bytes.length < MAGIC.length + 4 || !looksWrapped(bytes)) {
    return { header: undefined, payload: bytes };
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length);
  const start = MAGIC.length + 4;
  try {
    const header = JSON.parse(decoder.decode(bytes.subarray(start, start + length))) as EnvelopeHeader;
    return { header, payload: bytes.subarray(start + length) };
  } catch {
    return { header: undefined, payload: bytes };
  }
}
