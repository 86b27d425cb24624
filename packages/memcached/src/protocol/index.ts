/**
 * `@ringcache/memcached/protocol`: the memcached text protocol, for clients and servers alike.
 *
 * - client: `MemcachedConnection` (pipelined, one socket) = `encodeRequest` + `ReplyParser`
 * - server (the routing proxy): `RequestParser` + `encodeReply`
 */
export {
  type ConnectionFailureKind,
  type ConnectionOptions,
  connectionFailureKind,
  MemcachedConnection,
  type RequestOptions,
} from './connection.js';
export { Fifo } from './fifo.js';
export { assertValidKey, isValidKey } from './keys.js';
export { encodeReply, encodeReplyToBuffer } from './reply-encoder.js';
export { errorReply, ReplyParser } from './reply-parser.js';
export { type ByteSink, encodeRequest, encodeRequestToBuffer } from './request-encoder.js';
export { type ParsedRequest, RequestParser, type RequestParserOptions } from './request-parser.js';
export * from './types.js';
export { WriteBatch } from './write-batch.js';
