/**
 * A Node bot that joins the chat room and records every message to an SQLite file. It reconnects
 * on its own (a new session each time); the room replays its recent history to each new session,
 * and the message id makes each message stored exactly once.
 */
import Database from 'better-sqlite3';
import type { Principal } from '@icp-sdk/core/principal';
import type { SignIdentity } from '@icp-sdk/core/agent';
import { createWsConfig, generateRandomIdentity, IcWebSocket } from '@icws/client-sdk';
import { idlFactory, type AppMessage } from '../chat/idl';

export interface ChatRecorderOptions {
  readonly gatewayUrl: string;
  readonly networkUrl: string;
  readonly canisterId: string | Principal;
  /** SQLite file; created if missing. */
  readonly databasePath: string;
  readonly identity?: SignIdentity;
}

/** A stored chat message. */
export interface StoredMessage {
  id: bigint;
  timestamp: bigint;
  sender: string | null;
  kind: string;
  text: string;
}

export class ChatRecorder {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly socket: IcWebSocket;
  /** Sessions opened so far (the first one and each reconnection). */
  sessions = 0;
  /** Messages received, replays included. */
  received = 0;

  constructor(options: ChatRecorderOptions) {
    this.#db = new Database(options.databasePath);
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(`CREATE TABLE IF NOT EXISTS messages (
      id INTEGER PRIMARY KEY,
      timestamp INTEGER NOT NULL,
      sender TEXT,
      kind TEXT NOT NULL,
      text TEXT NOT NULL
    )`);
    this.#db.defaultSafeIntegers(true);
    this.#insert = this.#db.prepare('INSERT OR IGNORE INTO messages (id, timestamp, sender, kind, text) VALUES (?, ?, ?, ?, ?)');
    this.socket = new IcWebSocket(
      options.gatewayUrl,
      undefined,
      createWsConfig({
        canisterId: options.canisterId,
        idlFactory,
        identity: options.identity ?? generateRandomIdentity(),
        networkUrl: options.networkUrl,
        reconnect: { minDelayMs: 100, maxDelayMs: 2_000 },
      }),
    );
    this.socket.addEventListener('open', () => this.sessions++);
    this.socket.addEventListener('message', (event) => this.#record((event as unknown as { data: AppMessage }).data));
  }

  /** Messages stored, in id order. */
  messages(): StoredMessage[] {
    return this.#db.prepare('SELECT id, timestamp, sender, kind, text FROM messages ORDER BY id').all() as StoredMessage[];
  }

  close(): void {
    this.socket.close();
    this.#db.close();
  }

  #record(message: AppMessage): void {
    this.received++;
    const kind = Object.keys(message.kind)[0];
    this.#insert.run(message.id, message.timestamp, message.sender[0]?.toText() ?? null, kind, message.text);
  }
}
