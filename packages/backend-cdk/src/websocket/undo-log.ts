import type { CanisterContext } from '../canister/define';

/**
 * Where the WebSocket state records the inverse of each change it makes. On the IC a trap rolls
 * a message back entirely; the embedded replica rolls back certified data and timers, and this log
 * (fed to `ic.onRollback`) rolls back the queues and clients, so they never disagree with the
 * certified data after an application handler throws.
 * @internal
 */
export interface UndoLog {
  /** Registers `undo`, to run (newest first) if the current message traps. */
  record(undo: () => void): void;
}

/** @returns an undo log backed by the canister's `ic.onRollback()`. @internal */
export function rollbackUndoLog(ic: Pick<CanisterContext, 'onRollback'>): UndoLog {
  return { record: (undo) => ic.onRollback(undo) };
}
