import type { Principal } from '@icp-sdk/core/principal';
import { INITIAL_OUTGOING_MESSAGE_NONCE } from '@icws/protocol';
import { GatewayQueue } from './gateway-queue';
import type { UndoLog } from './undo-log';

/** A gateway some client opened its connection through, with its outbound queue. @internal */
export interface RegisteredGateway {
  readonly principal: Principal;
  /** The principal as text, the prefix of its message keys. */
  readonly text: string;
  readonly queue: GatewayQueue;
  /** Clients connected through it now. */
  clientCount: number;
  /** When its last client left (ns); `undefined` while it has clients. */
  emptySinceNs: bigint | undefined;
  /** Messages ever queued for it. */
  enqueued: number;
  /** Messages dropped from its queue after it polled them (for age, or to make room). */
  pruned: number;
  /** The gateway has fetched every message below this nonce: the highest nonce it polled from. */
  polledNonce: number;
  /** Clients closed because its queue was full of messages it had not polled. */
  queueFullClosures: number;
}

/**
 * The gateways that clients are connected through, by principal. A gateway is registered by the
 * first `ws_open` naming it and stays registered, queue included, until it has had no client for
 * longer than the ack interval: its poller can still fetch the last messages (a close message, say)
 * after the last client left.
 * @internal
 */
export class GatewayRegistry {
  readonly #byText = new Map<string, RegisteredGateway>();

  constructor(private readonly undo: UndoLog) {}

  /** How many gateways are registered. */
  get size(): number {
    return this.#byText.size;
  }

  /** @returns the gateway whose principal text is `text`, if registered. */
  get(text: string): RegisteredGateway | undefined {
    return this.#byText.get(text);
  }

  /** The registered gateways. */
  values(): IterableIterator<RegisteredGateway> {
    return this.#byText.values();
  }

  /** Counts one more client on `principal`'s gateway, registering the gateway if needed. */
  attachClient(principal: Principal, text: string): RegisteredGateway {
    let gateway = this.#byText.get(text);
    if (gateway === undefined) {
      const created: RegisteredGateway = {
        principal,
        text,
        queue: new GatewayQueue(Number(INITIAL_OUTGOING_MESSAGE_NONCE)),
        clientCount: 0,
        emptySinceNs: undefined,
        enqueued: 0,
        pruned: 0,
        polledNonce: Number(INITIAL_OUTGOING_MESSAGE_NONCE),
        queueFullClosures: 0,
      };
      this.#byText.set(text, created);
      this.undo.record(() => this.#byText.delete(text));
      gateway = created;
    }
    const { clientCount, emptySinceNs } = gateway;
    const attached = gateway;
    attached.clientCount = clientCount + 1;
    attached.emptySinceNs = undefined;
    this.undo.record(() => {
      attached.clientCount = clientCount;
      attached.emptySinceNs = emptySinceNs;
    });
    return attached;
  }

  /** Counts one client less on `gateway`; the gateway starts its idle period when none is left. */
  detachClient(gateway: RegisteredGateway, nowNs: bigint): void {
    const { clientCount, emptySinceNs } = gateway;
    gateway.clientCount = Math.max(0, clientCount - 1);
    if (gateway.clientCount === 0) gateway.emptySinceNs = nowNs;
    this.undo.record(() => {
      gateway.clientCount = clientCount;
      gateway.emptySinceNs = emptySinceNs;
    });
  }

  /**
   * Notes that `gateway` polled from `nonce`: by the protocol it has every message below it. Only
   * moves forward, and never past the messages queued. Called from `ws_get_messages`, a query: the
   * mark is the one change a query keeps (no undo is recorded), since the poll is the only word
   * a gateway gives of what it has. Hosts of this kit (the embedded replica, the fake context)
   * keep a canister's own variables after a query; on a host that discarded them nothing would be
   * pruned, and full queues would close clients with a reason: no message is lost silently.
   */
  notePolled(gateway: RegisteredGateway, nonce: bigint): void {
    const next = gateway.queue.nextNonce;
    const polled = nonce >= BigInt(next) ? next : Number(nonce);
    if (polled > gateway.polledNonce) gateway.polledNonce = polled;
  }

  /**
   * Unregisters the gateways that have had no client for more than `maxIdleNs`.
   * @returns the removed gateways, whose queued messages the caller must uncertify
   */
  removeIdle(nowNs: bigint, maxIdleNs: bigint): RegisteredGateway[] {
    const removed: RegisteredGateway[] = [];
    for (const gateway of this.#byText.values()) {
      if (gateway.emptySinceNs !== undefined && nowNs - gateway.emptySinceNs > maxIdleNs) removed.push(gateway);
    }
    for (const gateway of removed) {
      this.#byText.delete(gateway.text);
      this.undo.record(() => this.#byText.set(gateway.text, gateway));
    }
    return removed;
  }
}
