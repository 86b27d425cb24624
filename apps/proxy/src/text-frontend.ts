import {
  encodeReply,
  type ParsedRequest,
  type Reply,
  RequestParser,
  type WriteBatch,
} from '@ringcache/memcached/protocol';
import type { Frontend, FrontendSink } from './client-session.js';
import type { Outcome } from './dispatcher.js';

const INTERNAL_ERROR: Reply = Object.freeze({ type: 'error', kind: 'SERVER_ERROR', message: 'proxy error' });

/** A text-protocol reply, or nothing for a `noreply` request. */
function writeText(reply: Reply | undefined, batch: WriteBatch): void {
  if (reply !== undefined) encodeReply(reply, batch);
}

/**
 * The memcached text protocol, parsed by the shared `RequestParser` (which answers malformed
 * lines, unknown commands, bad lengths and junk exactly as memcached does, and never throws).
 */
export class TextFrontend implements Frontend {
  private readonly parser: RequestParser;

  constructor(private readonly sink: FrontendSink) {
    const options = sink.host.options;
    this.parser = new RequestParser((parsed) => this.onParsed(parsed), {
      maxLineBytes: options.maxRequestLineBytes,
      maxValueBytes: options.maxValueBytes,
    });
  }

  feed(chunk: Buffer): void {
    this.parser.feed(chunk);
  }

  private onParsed(parsed: ParsedRequest): void {
    const sink = this.sink;
    if (!sink.accepting) return;
    if (parsed.type === 'error') {
      sink.host.counters.clientErrors++;
      // A `noreply` request refused as too large gets no reply, as from memcached.
      const reply: Reply | undefined = parsed.noreply
        ? undefined
        : { type: 'error', kind: parsed.kind, message: parsed.message };
      sink.submit(
        parsed.staleKey === undefined ? reply : sink.host.dispatcher.refuseTooLarge(parsed.staleKey, reply),
        writeText,
      );
      if (parsed.close) sink.stopReading();
      return;
    }
    if (parsed.request.command === 'quit') {
      sink.stopReading();
      return;
    }
    let outcome: Outcome;
    try {
      outcome = sink.host.dispatcher.handle(parsed.request);
    } catch {
      outcome = INTERNAL_ERROR;
    }
    if (outcome !== undefined) sink.submit(outcome, writeText);
  }
}
