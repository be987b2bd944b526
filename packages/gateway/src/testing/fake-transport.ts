/**
 * An in-memory {@link IcTransport} for unit tests: it records every request and answers through
 * hooks a test replaces to delay or fail them. Not part of the package.
 */
import type { Principal } from '@icp-sdk/core/principal';
import type { CanisterOutputCertifiedMessages, ClientKey } from '@icws/protocol';
import { decode } from 'cbor-x';
import { GatewayError } from '../errors';
import type { IcTransport, RelayOutcome } from '../ic-transport';
import { WS_OPEN_OK } from './frames';

/** One attempt at relaying a call. */
export interface RelayedCall {
  readonly canisterId: Principal;
  readonly envelopeCbor: Uint8Array;
  readonly requestId: Uint8Array | undefined;
  /** The envelope's `method_name`. */
  readonly method: string;
  /** The envelope's `arg`, as text. */
  readonly arg: string;
}

/** A promise with its resolve and reject at hand. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** @returns the error the transport throws when the replica cannot be reached. */
export function replicaUnavailable(): GatewayError {
  return new GatewayError('ICWS_ERR_REPLICA_UNAVAILABLE', 'cannot reach the replica at http://127.0.0.1:1 (ECONNREFUSED)');
}

/** @returns the error the transport throws when the replica refuses a call as overloaded. */
export function replicaOverloaded(): GatewayError {
  return new GatewayError('ICWS_ERR_REPLICA_OVERLOADED', 'replica answered 503: the replica has 5000 update calls waiting for a round (ICWS_ERR_REPLICA_OVERLOADED)');
}

/** @returns the error the transport throws when the replica refuses an envelope. */
export function envelopeRefused(body = 'invalid signature'): GatewayError {
  return new GatewayError('ICWS_ERR_ENVELOPE_REFUSED', `replica answered 400: ${body}`);
}

/** An empty, drained batch. */
export const EMPTY_BATCH: CanisterOutputCertifiedMessages = { messages: [], cert: Uint8Array.of(1), tree: Uint8Array.of(2), is_end_of_queue: true };

export class FakeTransport implements IcTransport {
  /** Every relay attempt, in order. */
  readonly relayed: RelayedCall[] = [];
  /** Every poll's canister, nonce and asked count, in order. */
  readonly polls: Array<{ readonly canisterId: Principal; readonly nonce: bigint; readonly maxMessages?: bigint }> = [];
  /** Every ws_close, in order. */
  readonly closes: Array<{ readonly canisterId: Principal; readonly clientKey: ClientKey }> = [];
  /** Answers a relay attempt: ws_open gets `Ok`, other calls are executed. Replace to delay or fail. */
  onRelay: (call: RelayedCall) => Promise<RelayOutcome> = async (call) => (call.method === 'ws_open' ? WS_OPEN_OK : { status: 'executed' });
  /** Answers a poll; an empty drained batch unless replaced. */
  onPoll: (canisterId: Principal, nonce: bigint) => Promise<CanisterOutputCertifiedMessages> = async () => EMPTY_BATCH;
  /** Answers a ws_close. */
  onWsClose: (canisterId: Principal, clientKey: ClientKey) => Promise<void> = async () => undefined;
  #relaysInFlight = 0;
  #mostRelaysInFlight = 0;

  /** The most relays that were in flight at once. */
  get mostRelaysInFlight(): number {
    return this.#mostRelaysInFlight;
  }

  /** The `arg` texts of the calls relayed, attempts included, in order. */
  get relayedArgs(): string[] {
    return this.relayed.map((call) => call.arg);
  }

  async relayCall(canisterId: Principal, envelopeCbor: Uint8Array, requestId?: Uint8Array): Promise<RelayOutcome> {
    const { content } = decode(envelopeCbor) as { content: { method_name: string; arg: Uint8Array } };
    const call: RelayedCall = { canisterId, envelopeCbor, requestId, method: content.method_name, arg: new TextDecoder().decode(content.arg) };
    this.relayed.push(call);
    this.#mostRelaysInFlight = Math.max(this.#mostRelaysInFlight, ++this.#relaysInFlight);
    try {
      return await this.onRelay(call);
    } finally {
      this.#relaysInFlight--;
    }
  }

  getMessages(canisterId: Principal, nonce: bigint, maxMessages?: bigint): Promise<CanisterOutputCertifiedMessages> {
    this.polls.push(maxMessages === undefined ? { canisterId, nonce } : { canisterId, nonce, maxMessages });
    return this.onPoll(canisterId, nonce);
  }

  wsClose(canisterId: Principal, clientKey: ClientKey): Promise<void> {
    this.closes.push({ canisterId, clientKey });
    return this.onWsClose(canisterId, clientKey);
  }
}
