import { type AdapterEvent, RingcacheError } from '@ringcache/core';
import { type ILogger, LogLevel } from 'hazelcast-client';

/**
 * A hazelcast-client logger that never writes to the console: error logs become `client:error`
 * events (with the client's own error as `cause` when it gave one), everything else is dropped.
 * The client otherwise logs to stdout at INFO, which library code must not impose on users.
 */
export function eventLogger(emit: (event: AdapterEvent) => void): ILogger {
  const log = (level: LogLevel, objectName: string, message: string, furtherInfo?: unknown) => {
    if (level !== LogLevel.ERROR) return;
    const error = new RingcacheError('E_BACKEND', `hazelcast-client ${objectName}: ${message}`, {
      cause: furtherInfo,
    });
    emit({ type: 'client:error', node: undefined, error });
  };
  return {
    log,
    error: (objectName, message, furtherInfo) => log(LogLevel.ERROR, objectName, message, furtherInfo),
    warn: (objectName, message, furtherInfo) => log(LogLevel.WARN, objectName, message, furtherInfo),
    info: (objectName, message, furtherInfo) => log(LogLevel.INFO, objectName, message, furtherInfo),
    debug: (objectName, message, furtherInfo) => log(LogLevel.DEBUG, objectName, message, furtherInfo),
    trace: (objectName, message, furtherInfo) => log(LogLevel.TRACE, objectName, message, furtherInfo),
  };
}
