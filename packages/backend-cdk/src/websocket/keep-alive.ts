import { ackMessage, encodeServiceMessage } from '@icws/protocol';
import type { CanisterContext } from '../canister/define';
import type { WebSocketState } from './websocket-state';

const NS_PER_MS = 1_000_000n;

/**
 * Acks and keep-alives, the protocol's way to catch a gateway that blocks messages. Every ack
 * interval each client gets an `AckMessage` with the last sequence number received from it; it
 * must answer with a `KeepAliveMessage`. One keep-alive timeout after the acks, clients acked but
 * silent for longer than that timeout are closed with `KeepAliveTimeout` (their `onClose` runs),
 * and gateways left without clients for more than an ack interval are dropped with their queues.
 *
 * ```
 *  t0 ──── ack interval ────► acks sent ── keep-alive timeout ──► check ──► … ► acks sent ──► …
 *                             (clients now awaited)               (silent awaited clients closed,
 *                                                                  idle gateways dropped)
 * ```
 * Client side, a client that gets no ack within `ack interval + latency bound` of a message it sent
 * concludes that the gateway blocks it.
 * @internal
 */
export class KeepAlive {
  constructor(
    private readonly ic: CanisterContext,
    private readonly state: WebSocketState,
  ) {}

  /** Starts the ack interval, one interval from now. Only while the canister executes a message. */
  start(): void {
    this.ic.setTimerInterval(this.state.settings.sendAckIntervalMs, () => this.#sendAcks());
  }

  /** Sends every client an ack, then schedules the keep-alive check. */
  #sendAcks(): void {
    const { clients } = this.state;
    for (const client of clients.values()) {
      this.state.sendService(client, encodeServiceMessage(ackMessage(client.expectedIncomingSequenceNum - 1n)));
      clients.awaitKeepAlive(client);
    }
    this.ic.setTimer(this.state.settings.keepAliveTimeoutMs, () => this.#checkKeepAlive());
  }

  /** Drops idle gateways, then closes the acked clients whose last keep-alive is too old. */
  #checkKeepAlive(): void {
    const timeoutNs = BigInt(this.state.settings.keepAliveTimeoutMs) * NS_PER_MS;
    this.state.removeIdleGateways();
    const nowNs = this.ic.time();
    for (const client of this.state.clients.takeAwaitingKeepAlive()) {
      if (nowNs - client.lastKeepAliveNs > timeoutNs) this.state.removeClient(client, 'KeepAliveTimeout', 'KeepAliveTimeout');
    }
  }
}
