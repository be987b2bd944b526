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
/** Canisters whose subnet is remembered; past it they are all forgotten (and found again by their ranges). */
const MAX_REMEMBERED_CANISTERS = 16_384;

/** One subnet's node keys, read from one certificate. */
interface SubnetKeys {
  readonly subnetId: string;
  readonly keys: Map<string, KeyObject>;
  readonly fetchedAtMs: number;
  /** Whether the certificate's verified canister ranges of the subnet hold a canister. */
  covers(canisterId: Principal): boolean;
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
 *
 * Node keys are kept per subnet: reading them costs a `read_state` and one or two BLS signature
 * checks (tens of milliseconds), so a canister whose id lies in the verified canister ranges of a
 * subnet already read uses that subnet's keys, and each subnet's keys are read again once when
 * they are {@link NODE_KEYS_MAX_AGE_MS} old, not once per canister.
 */
export class QuerySignatureVerifier {
  /** By subnet id: the keys last read. */
  readonly #subnets = new Map<string, SubnetKeys>();
  /** By canister id text: the subnet keys found to cover it. */
  readonly #canisters = new Map<string, SubnetKeys>();
  /** Reads under way, by canister id text. */
  readonly #reads = new Map<string, Promise<SubnetKeys>>();
  /** Reads of the subnet state so far; for tests and benchmarks. */
  subnetStateReads = 0;

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
      let key = (this.#known(canisterId) ?? (await this.#read(canisterId, false))).keys.get(nodeId);
      // A node that joined the subnet since the keys were read.
      key ??= (await this.#read(canisterId, true)).keys.get(nodeId);
      if (key === undefined) throw refusal(canisterId, `it is signed by ${nodeId}, which is not a node of the canister's subnet`);
      if (!verify(null, message, key, signature)) throw refusal(canisterId, `the signature of node ${nodeId} does not match the reply`);
    }
  }

  /** @returns the fresh keys of the canister's subnet when they are known, without reading anything */
  #known(canisterId: Principal): SubnetKeys | undefined {
    const id = principalText(canisterId);
    const known = this.#canisters.get(id);
    if (known !== undefined && this.#subnets.get(known.subnetId) === known && this.#fresh(known)) return known;
    for (const subnet of this.#subnets.values()) {
      if (!this.#fresh(subnet) || !subnet.covers(canisterId)) continue;
      if (this.#canisters.size >= MAX_REMEMBERED_CANISTERS) this.#canisters.clear();
      this.#canisters.set(id, subnet);
      return subnet;
    }
    return undefined;
  }

  #fresh(subnet: SubnetKeys): boolean {
    return this.clock.now() - subnet.fetchedAtMs < NODE_KEYS_MAX_AGE_MS;
  }

  /**
   * Reads the node keys of the canister's subnet, sharing a read under way for the canister.
   * Unless `refresh`, it first waits for the reads under way for other canisters, and takes their
   * keys when their ranges hold the canister: the canisters polled at once when a gateway starts,
   * or those of a subnet whose keys went stale together, then cost one read.
   */
  async #read(canisterId: Principal, refresh: boolean): Promise<SubnetKeys> {
    const id = principalText(canisterId);
    if (!refresh && this.#reads.size > 0 && !this.#reads.has(id)) {
      await Promise.allSettled(this.#reads.values());
      const known = this.#known(canisterId);
      if (known !== undefined) return known;
    }
    const pending = this.#reads.get(id);
    if (pending !== undefined) return pending;
    this.subnetStateReads++;
    const read = this.source.readSubnetState(canisterId).then(async (certificate) => {
      const nowMs = this.clock.now();
      const status = await nodeKeysFromCertificate(certificate, { rootKey: this.source.rootKey(), canisterId, nowMs });
      const keys = new Map<string, KeyObject>();
      for (const [nodeId, der] of status.nodeKeys) keys.set(nodeId, createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }));
      const subnet: SubnetKeys = { subnetId: status.subnetId, keys, fetchedAtMs: nowMs, covers: status.covers };
      this.#subnets.set(subnet.subnetId, subnet);
      if (this.#canisters.size >= MAX_REMEMBERED_CANISTERS) this.#canisters.clear();
      this.#canisters.set(id, subnet);
      return subnet;
    });
    this.#reads.set(id, read);
    const forget = (): void => {
      if (this.#reads.get(id) === read) this.#reads.delete(id);
    };
    read.then(forget, forget);
    return read;
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
