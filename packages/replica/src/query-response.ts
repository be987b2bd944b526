import type { CallOutcome } from './canister/outcome';
import { requestIdOf } from './envelope/request-id';
import { LruCache } from './envelope/lru-cache';
import type { Principal } from '@icp-sdk/core/principal';
import { IC_RESPONSE_DOMAIN_SEPARATOR, queryReplyHash, withDomainSeparator, type QueryReplyOutcome } from '@icws/protocol';
/**
 * Reply timestamps are rounded down to this step, so a query sent again with the same request id
 * and answered alike within one step gets the same (deterministic) Ed25519 signature, taken from
 * a cache instead of signed again. Agents only refuse timestamps older than their ingress expiry
 * (minutes), and an IC node's own timestamps trail real time by its consensus latency.
 */
export const REPLY_TIMESTAMP_STEP_NS = 1_000_000_000n;
/** Reply signatures remembered: enough for the queries repeated within one timestamp step. */
export const REPLY_SIGNATURE_CACHE_CAPACITY = 8192;

/** The body of a query reply as agents read it (CBOR-encoded by the HTTP layer). */
export type QueryResponseBody =
  | { status: 'replied'; reply: { arg: Uint8Array }; signatures: NodeSignature[] }
  | { status: 'rejected'; reject_code: number; reject_message: string; error_code: string; signatures: NodeSignature[] };

interface NodeSignature {
  timestamp: bigint;
  signature: Uint8Array;
  identity: Uint8Array;
}

/**
 * Signs query replies with the node key the way agents verify them by default: Ed25519 over the
 * response domain separator and the representation-independent hash of `{status, reply | reject
 * fields, timestamp, request_id}`.
 */
export class QueryResponseSigner {
  readonly #signatures = new LruCache<string, Uint8Array>(REPLY_SIGNATURE_CACHE_CAPACITY);
  readonly #identity: Uint8Array;

  /**
   * @param nodeId - the id of the node whose key signs (its public key is in the state tree)
   * @param signWithNodeKey - signs a message with that key
   * @param nowNs - wall-clock time in ns; agents compare the timestamp with their own clock,
   *   whatever time the replica simulates @default Date.now() in ns
   */
  constructor(
    nodeId: Principal,
    private readonly signWithNodeKey: (message: Uint8Array) => Promise<Uint8Array>,
    private readonly nowNs: () => bigint = () => BigInt(Date.now()) * 1_000_000n,
  ) {
    this.#identity = nodeId.toUint8Array();
  }

  /** @returns the reply body for `outcome` of the query `requestId`, with the node's signature. */
  async sign(outcome: CallOutcome, requestId: Uint8Array): Promise<QueryResponseBody> {
    const now = this.nowNs();
    const timestamp = now - (now % REPLY_TIMESTAMP_STEP_NS);
    const replyOutcome: QueryReplyOutcome =
      outcome.status === 'replied'
        ? { status: 'replied', reply: { arg: outcome.reply } }
        : { status: 'rejected', reject_code: outcome.rejectCode, reject_message: outcome.rejectMessage, error_code: outcome.errorCode };
    const signatures = [{ timestamp, signature: await this.#signatureOf(queryReplyHash(replyOutcome, timestamp, requestId, requestIdOf)), identity: this.#identity }];
    return outcome.status === 'replied'
      ? { status: 'replied', reply: { arg: outcome.reply }, signatures }
      : { status: 'rejected', reject_code: outcome.rejectCode, reject_message: outcome.rejectMessage, error_code: outcome.errorCode, signatures };
  }

  async #signatureOf(hash: Uint8Array): Promise<Uint8Array> {
    const key = Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('base64');
    const cached = this.#signatures.get(key);
    if (cached !== undefined) return cached;
    const signature = await this.signWithNodeKey(withDomainSeparator(IC_RESPONSE_DOMAIN_SEPARATOR, hash));
    this.#signatures.set(key, signature);
    return signature;
  }
}
