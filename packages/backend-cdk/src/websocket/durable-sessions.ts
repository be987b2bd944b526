import type { StableStore } from '../stable/stable-store';
import { CdkError } from '../errors';
import type { Incarnation } from './session-recovery';
import type { RetainedMessage } from './retained-messages';

/** The stable collection of session records, by principal text. */
export const SESSIONS_COLLECTION = 'icws.ws.sessions';
/** The stable collection of retained messages, by principal text, a zero byte and the 8-byte sequence number. */
export const RETAINED_COLLECTION = 'icws.ws.retained';
// Type descriptions checked when the collections are reopened: a new layout gets a new version.
const SESSIONS_TYPE = 'icws.ws.session-record/1';
const RETAINED_TYPE = 'icws.ws.retained-message/1';
const RECORD_VERSION = 1;
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** What a session's record in stable memory holds. @internal */
export interface StoredSession {
  readonly principalText: string;
  readonly incarnations: readonly Incarnation[];
  readonly resumed: boolean;
  readonly lastOutgoingSequenceNum: bigint;
  readonly expectedIncomingSequenceNum: bigint;
  /** {@link RetainedMessages.keptFrom} when the record was written. */
  readonly keptFrom: bigint;
  /** When its connection ended (ns), for a suspended session. */
  readonly suspendedSinceNs: bigint | undefined;
}

/** A stored session with the messages it keeps, as a restart finds it. @internal */
export interface LoadedSession extends StoredSession {
  /** Oldest first. */
  readonly messages: RetainedMessage[];
  /** The highest `keptFrom` written with a message (0 without messages). */
  readonly messagesKeptFrom: bigint;
}

/** Where one session's retained messages are written as they change. @internal */
export interface RetainedJournal {
  /** `message` was kept; every application message from `keptFrom` on is kept. */
  kept(message: RetainedMessage, keptFrom: bigint): void;
  /** The message numbered `seq` was dropped. */
  dropped(seq: bigint): void;
}

/**
 * The session-recovery state in the canister's stable memory, so that sessions outlive the heap (a
 * replica restart, an upgrade): one record per session (nonces, numbering, whether suspended) and
 * one entry per retained message. It writes through the context's stable store, so every write
 * belongs to the message making it: committed with the heap change it mirrors, or discarded with
 * it. Records and entries are small fixed binary layouts rather than Candid, to keep the cost per
 * message at one `put` of the message's bytes.
 * @internal
 */
export class DurableSessions {
  readonly #store: StableStore;

  /** Opens (or creates) the collections; call it inside a message (the canister's factory). */
  constructor(store: StableStore) {
    this.#store = store;
    for (const [name, type] of [
      [SESSIONS_COLLECTION, SESSIONS_TYPE],
      [RETAINED_COLLECTION, RETAINED_TYPE],
    ] as const) {
      const opened = store.open(name, type);
      if (opened.status === 'mismatch') {
        throw new CdkError(
          'ICWS_ERR_STABLE_TYPE',
          `stable collection "${name}" holds ${opened.storedType}, not the kit's ${type}: it belongs to another version of the kit or another library; ` +
            'give createIcWebSocket durableSessions: false, or remove the collection',
        );
      }
    }
  }

  /** Writes `session`'s record. */
  save(session: StoredSession): void {
    this.#store.put(SESSIONS_COLLECTION, utf8.encode(session.principalText), encodeRecord(session));
  }

  /** Deletes the record and the retained messages of `principalText`'s session. */
  forget(principalText: string): void {
    const key = utf8.encode(principalText);
    if (this.#store.get(SESSIONS_COLLECTION, key) !== undefined) this.#store.delete(SESSIONS_COLLECTION, key);
    const prefix = messagePrefix(principalText);
    for (;;) {
      const page = this.#store.range(RETAINED_COLLECTION, { from: prefix, to: prefixEnd(prefix), limit: 256 });
      for (const [entryKey] of page) this.#store.delete(RETAINED_COLLECTION, entryKey);
      if (page.length < 256) return;
    }
  }

  /** @returns the journal writing `principalText`'s retained messages. */
  journal(principalText: string): RetainedJournal {
    const prefix = messagePrefix(principalText);
    const store = this.#store;
    return {
      kept(message, keptFrom) {
        const value = new Uint8Array(16 + message.content.length);
        const view = new DataView(value.buffer);
        view.setBigUint64(0, message.timestampNs);
        view.setBigUint64(8, keptFrom);
        value.set(message.content, 16);
        store.put(RETAINED_COLLECTION, messageKey(prefix, message.seq), value);
      },
      dropped(seq) {
        store.delete(RETAINED_COLLECTION, messageKey(prefix, seq));
      },
    };
  }

  /** @returns every stored session with its messages. O(sessions + messages). */
  load(): LoadedSession[] {
    const sessions: LoadedSession[] = [];
    let from: Uint8Array | undefined;
    for (;;) {
      const page = this.#store.range(SESSIONS_COLLECTION, { from, limit: 256 });
      for (const [key, value] of page) sessions.push(this.#loadMessages(decodeRecord(text.decode(key), value)));
      if (page.length < 256) return sessions;
      from = nextKey(page[page.length - 1][0]);
    }
  }

  #loadMessages(record: StoredSession): LoadedSession {
    const prefix = messagePrefix(record.principalText);
    const messages: RetainedMessage[] = [];
    let messagesKeptFrom = 0n;
    let from = prefix;
    for (;;) {
      const page = this.#store.range(RETAINED_COLLECTION, { from, to: prefixEnd(prefix), limit: 256 });
      for (const [key, value] of page) {
        const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
        const keptFrom = view.getBigUint64(8);
        if (keptFrom > messagesKeptFrom) messagesKeptFrom = keptFrom;
        messages.push({
          seq: new DataView(key.buffer, key.byteOffset, key.byteLength).getBigUint64(key.length - 8),
          timestampNs: view.getBigUint64(0),
          content: value.slice(16),
        });
      }
      if (page.length < 256) return { ...record, messages, messagesKeptFrom };
      from = nextKey(page[page.length - 1][0]);
    }
  }
}

function messagePrefix(principalText: string): Uint8Array {
  const encoded = utf8.encode(principalText);
  const prefix = new Uint8Array(encoded.length + 1);
  prefix.set(encoded);
  return prefix;
}

/** @returns the key just past every key that begins with `prefix` (which ends in a zero byte). */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  end[end.length - 1] = 1;
  return end;
}

function messageKey(prefix: Uint8Array, seq: bigint): Uint8Array {
  const key = new Uint8Array(prefix.length + 8);
  key.set(prefix);
  new DataView(key.buffer).setBigUint64(prefix.length, seq);
  return key;
}

function nextKey(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}

// Record layout: version, flags (1 resumed, 2 suspended), incarnation count, then u64s:
// last outgoing, expected incoming, kept from, suspended since, and each incarnation's nonce and first seq.
function encodeRecord(session: StoredSession): Uint8Array {
  const bytes = new Uint8Array(3 + 32 + 16 * session.incarnations.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = RECORD_VERSION;
  bytes[1] = (session.resumed ? 1 : 0) | (session.suspendedSinceNs !== undefined ? 2 : 0);
  bytes[2] = session.incarnations.length;
  view.setBigUint64(3, session.lastOutgoingSequenceNum);
  view.setBigUint64(11, session.expectedIncomingSequenceNum);
  view.setBigUint64(19, session.keptFrom);
  view.setBigUint64(27, session.suspendedSinceNs ?? 0n);
  session.incarnations.forEach((incarnation, i) => {
    view.setBigUint64(35 + 16 * i, incarnation.nonce);
    view.setBigUint64(43 + 16 * i, incarnation.firstSeq);
  });
  return bytes;
}

function decodeRecord(principalText: string, bytes: Uint8Array): StoredSession {
  if (bytes[0] !== RECORD_VERSION || bytes.length !== 35 + 16 * bytes[2]) {
    throw new CdkError('ICWS_ERR_STABLE_VALUE', `stable collection "${SESSIONS_COLLECTION}": the record of ${principalText} is not a session record of version ${RECORD_VERSION}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const incarnations: Incarnation[] = [];
  for (let i = 0; i < bytes[2]; i++) incarnations.push({ nonce: view.getBigUint64(35 + 16 * i), firstSeq: view.getBigUint64(43 + 16 * i) });
  return {
    principalText,
    incarnations,
    resumed: (bytes[1] & 1) !== 0,
    lastOutgoingSequenceNum: view.getBigUint64(3),
    expectedIncomingSequenceNum: view.getBigUint64(11),
    keptFrom: view.getBigUint64(19),
    suspendedSinceNs: (bytes[1] & 2) !== 0 ? view.getBigUint64(27) : undefined,
  };
}
