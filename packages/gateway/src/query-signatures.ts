import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { QueryResponseStatus, type ApiQueryResponse } from '@icp-sdk/core/agent';
import type { Principal } from '@icp-sdk/core/principal';
import { nodeSignatureMessage, principalFromBytes, principalText } from '@icws/protocol';
import { systemClock, type Clock } from './clock';
import { GatewayError } from './errors';
import { requestIdOf } from './native-hash';
import { nodeKeysFromCertificate } from './subnet-node-keys';

/** Node keys are read again after this long, as the agent does, so a changed subnet is noticed. */
const NODE_KEYS_MAX_AGE_MS = 5 * 60_000;

interface NodeKeys {
  readonly keys: Map<string, KeyObject>;
  readonly fetchedAtMs: number;
}

/** Where a {@link QuerySignatureVerifier} reads the subnet state from. */
export interface SubnetStateSource {
  /** @returns the certificate of a `read_state` of the path `subnet` for the canister */
  readSubnetState(canisterId: Principal): Promise<Uint8Array>;
  /** @returns the DER root key (fetched before the first poll) */
  rootKey(): Uint8Array;
}

/**
 * Checks the node signatures of query replies as `@dfinity/agent` does (the signers must be nodes
 * of the canister's subnet, read from the certified subnet state, under a delegation that covers
 * the canister), but with node:crypto: the agent's pure-JavaScript check costs about 3 ms per
 * poll, and a gateway polls every canister ten times a second.
 */
export class QuerySignatureVerifier {
  readonly #nodeKeys = new Map<string, Promise<NodeKeys>>();

  constructor(
    private readonly source: SubnetStateSource,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * @throws GatewayError `ICWS_ERR_QUERY_SIGNATURE` when the reply carries no signature, or one
   *   that is not from a node of the canister's subnet over this reply; `ICWS_ERR_NODE_KEYS` when
   *   the subnet's node keys cannot be read from a certificate the root key vouches for
   */
  async verify(canisterId: Principal, response: ApiQueryResponse): Promise<void> {
    const signatures = response.signatures ?? [];
    if (signatures.length === 0) throw refusal(canisterId, 'it carries no node signature');
    for (const { timestamp, signature, identity } of signatures) {
      const message = signedMessage(response, timestamp);
      const nodeId = principalText(principalFromBytes(identity));
      let key = (await this.#keys(canisterId, false)).keys.get(nodeId);
      // A node that joined the subnet since the keys were read.
      key ??= (await this.#keys(canisterId, true)).keys.get(nodeId);
      if (key === undefined) throw refusal(canisterId, `it is signed by ${nodeId}, which is not a node of the canister's subnet`);
      if (!verify(null, message, key, signature)) throw refusal(canisterId, `the signature of node ${nodeId} does not match the reply`);
    }
  }

  #keys(canisterId: Principal, refresh: boolean): Promise<NodeKeys> {
    const id = principalText(canisterId);
    const cached = this.#nodeKeys.get(id);
    if (cached !== undefined && !refresh) {
      return cached.then((entry) => (this.clock.now() - entry.fetchedAtMs < NODE_KEYS_MAX_AGE_MS ? entry : this.#keys(canisterId, true)));
    }
    const fetched = this.source.readSubnetState(canisterId).then(async (certificate) => {
      const nowMs = this.clock.now();
      const status = await nodeKeysFromCertificate(certificate, { rootKey: this.source.rootKey(), canisterId, nowMs });
      const keys = new Map<string, KeyObject>();
      for (const [nodeId, der] of status.nodeKeys) keys.set(nodeId, createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }));
      return { keys, fetchedAtMs: nowMs };
    });
    this.#nodeKeys.set(id, fetched);
    fetched.catch(() => this.#nodeKeys.get(id) === fetched && this.#nodeKeys.delete(id));
    return fetched;
  }
}

/** @returns what a node signs for a query reply: the domain separator and the reply's hash. */
function signedMessage(response: ApiQueryResponse, timestamp: bigint): Uint8Array {
  const outcome =
    response.status === QueryResponseStatus.Replied
      ? { status: 'replied' as const, reply: response.reply }
      : { status: 'rejected' as const, reject_code: response.reject_code, reject_message: response.reject_message, error_code: response.error_code };
  return nodeSignatureMessage(outcome, BigInt(timestamp), response.requestId, requestIdOf);
}

function refusal(canisterId: Principal, why: string): GatewayError {
  return new GatewayError('ICWS_ERR_QUERY_SIGNATURE', `the reply to ws_get_messages from canister ${canisterId.toText()} is not trusted: ${why}`);
}
