/** The messages one session keeps for its resume: bounded in age, count and bytes, undoable. */
import { RetainedMessages, type RetentionLimits } from './retained-messages';
import type { UndoLog } from './undo-log';

const MS = 1_000_000n;
const limits: RetentionLimits = { windowNs: 1_000n * MS, maxMessages: 3, maxBytes: 10 };

/** An undo log as a message sees it: `commit` ends a message, `rollback` undoes the current one, as a trap does. */
function undoLog(): UndoLog & { commit(): void; rollback(): void } {
  let entries: Array<() => void> = [];
  return {
    record: (undo) => entries.push(undo),
    commit: () => (entries = []),
    rollback: () => {
      while (entries.length > 0) entries.pop()!();
    },
  };
}

const bytes = (n: number) => new Uint8Array(n);
const seqs = (log: RetainedMessages) => log.after(0n).map((m) => m.seq);

describe('RetainedMessages', () => {
  describe('#retain', () => {
    it('keeps messages in order and drops the oldest over the count, moving keptFrom past them', () => {
      const log = new RetainedMessages(undoLog(), 1n);
      for (let seq = 2n; seq <= 6n; seq++) log.retain({ seq, content: bytes(1), timestampNs: 0n }, limits, 0n);
      expect(seqs(log)).toEqual([4n, 5n, 6n]);
      expect(log.keptFrom).toBe(4n);
      expect(log.after(4n).map((m) => m.seq)).toEqual([5n, 6n]);
    });

    it('drops the oldest over the bytes, and what is older than the window', () => {
      const log = new RetainedMessages(undoLog(), 1n);
      log.retain({ seq: 1n, content: bytes(6), timestampNs: 0n }, limits, 0n);
      log.retain({ seq: 2n, content: bytes(6), timestampNs: 0n }, limits, 0n);
      expect(seqs(log)).toEqual([2n]);
      expect(log.bytes).toBe(6);
      log.retain({ seq: 3n, content: bytes(1), timestampNs: 1_500n * MS }, limits, 1_500n * MS);
      expect(seqs(log)).toEqual([3n]);
      expect(log.keptFrom).toBe(3n);
    });

    it('keeps no message larger than the bytes allowed, and nothing before it', () => {
      const log = new RetainedMessages(undoLog(), 1n);
      log.retain({ seq: 1n, content: bytes(1), timestampNs: 0n }, limits, 0n);
      log.retain({ seq: 2n, content: bytes(11), timestampNs: 0n }, limits, 0n);
      expect(log.length).toBe(0);
      expect(log.keptFrom).toBe(3n);
    });
  });

  describe('#confirm', () => {
    it('drops what the client has', () => {
      const log = new RetainedMessages(undoLog(), 1n);
      for (const seq of [2n, 4n, 5n]) log.retain({ seq, content: bytes(1), timestampNs: 0n }, limits, 0n);
      log.confirm(4n);
      expect(seqs(log)).toEqual([5n]);
      expect(log.keptFrom).toBe(5n);
    });
  });

  it('is as before once the undo of a message that trapped has run', () => {
    const undo = undoLog();
    const log = new RetainedMessages(undo, 1n);
    for (let seq = 1n; seq <= 3n; seq++) log.retain({ seq, content: bytes(2), timestampNs: 0n }, limits, 0n);
    const before = { seqs: seqs(log), bytes: log.bytes, keptFrom: log.keptFrom };
    undo.commit();
    // A message that grows the ring, drops from the front, confirms and restarts, then traps.
    for (let seq = 4n; seq <= 20n; seq++) log.retain({ seq, content: bytes(2), timestampNs: 0n }, { ...limits, maxMessages: 100, maxBytes: 100 }, 0n);
    log.confirm(18n);
    log.restart(30n);
    undo.rollback();
    expect({ seqs: seqs(log), bytes: log.bytes, keptFrom: log.keptFrom }).toEqual(before);
  });
});
