import type { ByteSink } from './request-encoder.js';
import type { Reply } from './types.js';

const CRLF = '\r\n';

/**
 * Writes one reply in the text protocol (the server side, for the routing proxy). Values are
 * passed to the sink as is, so a reply to a many-key `get` is not copied before it is written.
 */
export function encodeReply(reply: Reply, sink: ByteSink): void {
  switch (reply.type) {
    case 'values':
      for (const item of reply.items) {
        const cas = item.cas === undefined ? '' : ` ${item.cas}`;
        sink.text(`VALUE ${item.key} ${item.flags} ${item.value.byteLength}${cas}${CRLF}`);
        sink.bytes(item.value);
        sink.text(CRLF);
      }
      sink.text(`END${CRLF}`);
      return;
    case 'status':
      sink.text(`${reply.status}${CRLF}`);
      return;
    case 'number':
      sink.text(`${reply.value}${CRLF}`);
      return;
    case 'version':
      sink.text(`VERSION ${reply.version}${CRLF}`);
      return;
    case 'stats':
      for (const [name, value] of reply.stats) sink.text(`STAT ${name} ${value}${CRLF}`);
      sink.text(`END${CRLF}`);
      return;
    case 'error':
      sink.text(
        reply.kind === 'ERROR' && reply.message === ''
          ? `ERROR${CRLF}`
          : `${reply.kind} ${reply.message}${CRLF}`,
      );
      return;
  }
}

/** Encodes one reply into a single Buffer (tests, tools; a server batches with `WriteBatch`). */
export function encodeReplyToBuffer(reply: Reply): Buffer {
  const parts: Buffer[] = [];
  encodeReply(reply, {
    text: (text) => parts.push(Buffer.from(text, 'utf8')),
    bytes: (data) => parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
  });
  return Buffer.concat(parts);
}
