import { FIRST_CANISTER_SEQUENCE_NUM, INITIAL_CLIENT_SEQUENCE_NUM, type ClientKey } from '@icws/protocol';
import type { RegisteredGateway } from './gateway-registry';
import type { UndoLog } from './undo-log';

/** A connected client: one open connection of one principal. @internal */
export interface RegisteredClient {
  /** Principal and nonce; the same object goes into every message for this client. */
  readonly key: ClientKey;
  /** The principal as text, the registry's key. */
  readonly principalText: string;
  /** The gateway it connected through, whose queue carries its messages. */
  readonly gateway: RegisteredGateway;
  /** When `ws_open` ran (ns). */
  readonly openedAtNs: bigint;
  /** Sequence number the next `ws_message` of this client must carry. */
  expectedIncomingSequenceNum: bigint;
  /** Sequence number of the last message queued for this client (0 before the open message). */
  lastOutgoingSequenceNum: bigint;
  /** When the client last sent a keep-alive, or opened (ns). */
  lastKeepAliveNs: bigint;
}

/**
 * The connected clients, by principal: a principal has at most one connection, and opening a new
 * one replaces the old. Each change records its inverse in the undo log.
 * @internal
 */
export class ClientRegistry {
  readonly #byPrincipal = new Map<string, RegisteredClient>();
  /** Clients sent an ack since the last keep-alive check. */
  #awaitingKeepAlive = new Set<RegisteredClient>();

  constructor(private readonly undo: UndoLog) {}

  /** How many clients are connected. */
  get size(): number {
    return this.#byPrincipal.size;
  }

  /** @returns the client of the principal whose text is `principalText`, if connected. O(1). */
  get(principalText: string): RegisteredClient | undefined {
    return this.#byPrincipal.get(principalText);
  }

  /** The connected clients, in connection order. */
  values(): IterableIterator<RegisteredClient> {
    return this.#byPrincipal.values();
  }

  /** @returns a new client record, not yet registered. */
  static create(key: ClientKey, principalText: string, gateway: RegisteredGateway, nowNs: bigint): RegisteredClient {
    return {
      key,
      principalText,
      gateway,
      openedAtNs: nowNs,
      expectedIncomingSequenceNum: INITIAL_CLIENT_SEQUENCE_NUM,
      lastOutgoingSequenceNum: FIRST_CANISTER_SEQUENCE_NUM - 1n,
      lastKeepAliveNs: nowNs,
    };
  }

  /** Registers `client`; its principal must have no connection (remove the old one first). */
  add(client: RegisteredClient): void {
    if (this.#byPrincipal.has(client.principalText)) throw new Error(`ClientRegistry.add: ${client.principalText} is connected already`);
    this.#byPrincipal.set(client.principalText, client);
    this.undo.record(() => this.#byPrincipal.delete(client.principalText));
  }

  /** Unregisters `client`. */
  remove(client: RegisteredClient): void {
    this.#byPrincipal.delete(client.principalText);
    const awaiting = this.#awaitingKeepAlive.delete(client);
    this.undo.record(() => {
      this.#byPrincipal.set(client.principalText, client);
      if (awaiting) this.#awaitingKeepAlive.add(client);
    });
  }

  /** Counts an incoming message: the next one must carry the following sequence number. */
  acceptIncoming(client: RegisteredClient): void {
    const previous = client.expectedIncomingSequenceNum;
    client.expectedIncomingSequenceNum = previous + 1n;
    this.undo.record(() => (client.expectedIncomingSequenceNum = previous));
  }

  /** @returns the sequence number of a new message for `client`, counting it. */
  nextOutgoing(client: RegisteredClient): bigint {
    const previous = client.lastOutgoingSequenceNum;
    client.lastOutgoingSequenceNum = previous + 1n;
    this.undo.record(() => (client.lastOutgoingSequenceNum = previous));
    return client.lastOutgoingSequenceNum;
  }

  /** Records a keep-alive from `client` at `nowNs`. */
  keepAlive(client: RegisteredClient, nowNs: bigint): void {
    const previous = client.lastKeepAliveNs;
    client.lastKeepAliveNs = nowNs;
    this.undo.record(() => (client.lastKeepAliveNs = previous));
  }

  /** Notes that `client` was sent an ack and must answer with a keep-alive. */
  awaitKeepAlive(client: RegisteredClient): void {
    if (this.#awaitingKeepAlive.has(client)) return;
    this.#awaitingKeepAlive.add(client);
    this.undo.record(() => this.#awaitingKeepAlive.delete(client));
  }

  /** @returns the clients awaiting a keep-alive, and forgets them. */
  takeAwaitingKeepAlive(): RegisteredClient[] {
    const awaiting = this.#awaitingKeepAlive;
    this.#awaitingKeepAlive = new Set();
    this.undo.record(() => (this.#awaitingKeepAlive = awaiting));
    return [...awaiting];
  }
}
