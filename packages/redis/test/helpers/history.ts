// Checks reads against the writes a test made. Each key is used by one worker at a time, so its
// events are in order: what a read may return is decided by the writes before it.

export type HistoryEvent =
  | { type: 'write'; seq: number; ok: boolean; durable: boolean }
  | { type: 'read'; value: number | undefined };

export interface KeyHistory {
  events: HistoryEvent[];
}

export interface HistoryFigures {
  reads: number;
  writes: number;
  /** Writes that failed or timed out: they may or may not have been applied. */
  indeterminateWrites: number;
  /** Writes acknowledged and then confirmed by WAIT 1 (a replica has them). */
  durableWrites: number;
  /** Reads that returned a value older than the last acknowledged write (or nothing). */
  regressedReads: number;
  regressedKeys: number;
  /** …of which the last acknowledged write was durable (WAIT 1): must be 0. */
  durableRegressedReads: number;
  /** …of which the value came from an older write that had failed, landing late (a client retry). */
  lateWriteRegressedReads: number;
  /** …of which acknowledged writes were lost (not yet replicated when the master died). */
  lostWriteRegressedReads: number;
}

/**
 * A read is fine when it returns the last acknowledged write, or a later write whose outcome is
 * unknown. Anything older is a regression, classified by cause.
 */
export function analyzeHistory(histories: Iterable<KeyHistory>): HistoryFigures {
  const figures: HistoryFigures = {
    reads: 0,
    writes: 0,
    indeterminateWrites: 0,
    durableWrites: 0,
    regressedReads: 0,
    regressedKeys: 0,
    durableRegressedReads: 0,
    lateWriteRegressedReads: 0,
    lostWriteRegressedReads: 0,
  };
  for (const { events } of histories) {
    let acknowledged: { seq: number; durable: boolean } | undefined;
    const indeterminate = new Set<number>();
    let regressed = false;
    for (const event of events) {
      if (event.type === 'write') {
        figures.writes++;
        if (!event.ok) {
          figures.indeterminateWrites++;
          indeterminate.add(event.seq);
          continue;
        }
        if (event.durable) figures.durableWrites++;
        acknowledged = { seq: event.seq, durable: event.durable };
        continue;
      }
      figures.reads++;
      const { value } = event;
      if (acknowledged === undefined || value === acknowledged.seq) continue;
      if (value !== undefined && value > acknowledged.seq && indeterminate.has(value)) continue;
      figures.regressedReads++;
      regressed = true;
      if (acknowledged.durable) figures.durableRegressedReads++;
      if (value !== undefined && indeterminate.has(value)) figures.lateWriteRegressedReads++;
      else figures.lostWriteRegressedReads++;
    }
    if (regressed) figures.regressedKeys++;
  }
  return figures;
}
