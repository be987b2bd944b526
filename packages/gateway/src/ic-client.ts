import { Cbor, HttpAgent, type ApiQueryResponse, type QueryResponse, type RequestId, type SignIdentity } from '@icp-sdk/core/agent';
import type { Principal } from '@icp-sdk/core/principal';
import {
  decodeWsGetMessagesResult,
  encodeEnvelope,
  encodeWsCloseArgs,
  encodeWsGetMessagesArgs,
  WS_CLOSE_METHOD,
  IC_REQUEST_DOMAIN_SEPARATOR,
  isMainnetHost,
  principalText,
  withDomainSeparator,
  WS_GET_MESSAGES_METHOD,
  type CanisterOutputCertifiedMessages,
  type ClientKey,
  type QueryContent,
} from '@icws/protocol';
import { GatewayError } from './errors';
import { lookupLeaf } from './hash-tree';
import { requestIdOf } from './native-hash';
import { CborPoster, type PostResponse } from './http-post';
import type { IcTransport, RelayOutcome } from './ic-transport';
import { QuerySignatureVerifier } from './query-signatures';

export type { RelayOutcome } from './ic-transport';

const text = new TextDecoder();
const SUBNET_PATH = new TextEncoder().encode('subnet');
/**
 * A reply byte for byte equal to the last one checked for the same poll is taken without checking
 * it again for this long: an idle canister's replica answers the same signed bytes for a second.
 * Only replies without messages are remembered: one with messages moves the nonce on, so no later
 * poll gets the same bytes, and it may be megabytes.
 */
const VERIFIED_REPLY_REUSE_MS = 10_000;
/** Canisters whose last poll and reply are remembered; past it they are all forgotten. */
const MAX_REMEMBERED_CANISTERS = 16_384;

/** The last poll of one canister: its signed envelope, reused while its nonce, count and expiry hold. */
interface SignedPoll {
  readonly nonce: bigint;
  readonly maxMessages: bigint | undefined;
  readonly expiryNs: bigint;
  /** The whole HTTP request, sent as it is while the poll repeats. */
  readonly request: Buffer;
  readonly requestId: Uint8Array;
}

/** The last reply checked for a {@link SignedPoll}, and what it said. */
interface CheckedReply {
  readonly poll: SignedPoll;
  readonly body: Buffer;
  readonly result: CanisterOutputCertifiedMessages;
  readonly checkedAtMs: number;
}

/** What the polls cost, for tests and metrics. */
export interface PollCounters {
  /** Poll envelopes signed (the others were the same bytes as the poll before). */
  envelopesSigned: number;
  /** Replies decoded and checked (the others were the same bytes as the reply before). */
  repliesChecked: number;
  /** Reads of a subnet's node keys (once per subnet every few minutes, and for a canister outside the subnets read). */
  subnetStateReads: number;
}

/**
 * The gateway's side of the IC HTTP interface: relays clients' signed envelopes byte for byte,
 * polls `ws_get_messages` and calls `ws_close`, both signed by the gateway's own key. Each request
 * is tried once; callers retry with their {@link RetryPolicy}.
 */
export class IcClient implements IcTransport {
  #useV3 = true;
  #rootKeyFetched: Promise<void> | undefined;
  #ready = false;
  readonly #querySignatures: QuerySignatureVerifier;
  /** By canister id text. */
  readonly #polls = new Map<string, SignedPoll>();
  readonly #replies = new Map<string, CheckedReply>();
  readonly #senderDer: Uint8Array;
  readonly #counters = { envelopesSigned: 0, repliesChecked: 0 };

  private constructor(
    private readonly agent: HttpAgent,
    private readonly identity: SignIdentity,
    private readonly poster: CborPoster,
    private readonly mainnet: boolean,
  ) {
    this.#senderDer = new Uint8Array(identity.getPublicKey().toDer());
    this.#querySignatures = new QuerySignatureVerifier({
      readSubnetState: async (canisterId) => (await agent.readState({ canisterId }, { paths: [[SUBNET_PATH]] })).certificate,
      rootKey: () => {
        if (agent.rootKey === null) throw new GatewayError('ICWS_ERR_NODE_KEYS', 'the root key is not known yet, so no subnet state can be checked');
        return agent.rootKey;
      },
    });
  }

  /**
   * @param identity - the gateway's key (a key identity, not a delegation), signing polls and
   *   `ws_close`; the agent reads the root key and the subnet's node keys, and calls `ws_close`
   */
  static create(icNetworkUrl: string, identity: SignIdentity): IcClient {
    // The poller retries on its own schedule; polls do not go through the agent (see getMessages).
    const agent = HttpAgent.createSync({ host: icNetworkUrl, identity, shouldFetchRootKey: false, retryTimes: 0, verifyQuerySignatures: false });
    return new IcClient(agent, identity, new CborPoster(new URL(icNetworkUrl)), isMainnetHost(icNetworkUrl));
  }

  /** What the polls cost so far. */
  get pollCounters(): PollCounters {
    return { ...this.#counters, subnetStateReads: this.#querySignatures.subnetStateReads };
  }

  get url(): URL {
    return this.poster.origin;
  }

  /** Fetches the root key of a local network once; mainnet's is built into the agent. */
  ready(): Promise<void> {
    if (this.mainnet || this.#ready) return Promise.resolve();
    this.#rootKeyFetched ??= this.agent.fetchRootKey().then(
      () => {
        this.#ready = true;
      },
      (err: unknown) => {
        this.#rootKeyFetched = undefined;
        throw new GatewayError('ICWS_ERR_REPLICA_UNAVAILABLE', `cannot fetch the root key from ${this.url.origin}: ${(err as Error).message}`);
      },
    );
    return this.#rootKeyFetched;
  }

  /**
   * Posts a client's envelope to the canister's `call` endpoint, once (after a fallback to the v2
   * endpoint when the replica has no v3).
   * @param requestId - the envelope's request id, to read the call's outcome from the certificate;
   *   without it an executed call is reported as `executed`
   * @throws GatewayError `ICWS_ERR_ENVELOPE_REFUSED` when the replica refuses the envelope (4xx),
   *   `ICWS_ERR_REPLICA_OVERLOADED` when it refuses the call as overloaded (429, or 503 with that
   *   code), `ICWS_ERR_REPLICA_UNAVAILABLE` when it cannot be reached or answers 5xx
   */
  async relayCall(canisterId: Principal, envelopeCbor: Uint8Array, requestId?: Uint8Array): Promise<RelayOutcome> {
    for (;;) {
      const version = this.#useV3 ? 'v3' : 'v2';
      let response: PostResponse;
      try {
        response = await this.poster.post(`/api/${version}/canister/${principalText(canisterId)}/call`, envelopeCbor);
      } catch (err) {
        throw unavailable(this.url, err);
      }
      if (response.status === 404 && version === 'v3') {
        this.#useV3 = false;
        continue;
      }
      if (response.status === 202) return { status: 'accepted' };
      if (response.status === 200) return readCallResponse(response.body, requestId);
      if (isOverloaded(response)) {
        throw new GatewayError('ICWS_ERR_REPLICA_OVERLOADED', `replica answered ${response.status}: ${text.decode(response.body)}`);
      }
      const kind = response.status >= 500 ? 'ICWS_ERR_REPLICA_UNAVAILABLE' : 'ICWS_ERR_ENVELOPE_REFUSED';
      throw new GatewayError(kind, `replica answered ${response.status}: ${text.decode(response.body)}`);
    }
  }

  /** Closes the connections kept open to the replica. */
  close(): void {
    this.poster.close();
  }

  /**
   * Polls the canister's queue for this gateway from `nonce`, asking for up to `maxMessages` when given.
   *
   * The query is signed, posted and checked here rather than by the agent: a gateway polls every
   * canister ten times a second, and the agent's query path (fetch, JS signature checks) costs a
   * few milliseconds of CPU each time. The expiry is rounded down to the minute, so the polls of
   * one nonce within a minute are the same bytes, signed once here and recognized by the replica
   * without checking the signature again; and a reply equal byte for byte to the last one checked
   * for those bytes (an idle canister's, within the second the replica's signature stays the same)
   * is taken without decoding and checking it again.
   * @throws GatewayError `ICWS_ERR_QUERY_SIGNATURE` when the reply is not signed by a node of the
   *   canister's subnet, `ICWS_ERR_NODE_KEYS` when the subnet's node keys cannot be read from a
   *   certificate the root key vouches for (e.g. its delegation does not cover the canister),
   *   `ICWS_ERR_POLL_REJECTED` when the replica or the canister refused the
   *   poll, `ICWS_ERR_REPLICA_UNAVAILABLE` when the replica cannot be reached
   */
  async getMessages(canisterId: Principal, nonce: bigint, maxMessages?: bigint): Promise<CanisterOutputCertifiedMessages> {
    await this.ready();
    const canister = principalText(canisterId);
    const poll = await this.#signedPoll(canisterId, canister, nonce, maxMessages);
    const body = await this.#post(poll.request, WS_GET_MESSAGES_METHOD);
    const checked = this.#replies.get(canister);
    if (checked?.poll === poll && checked.body.equals(body) && Date.now() - checked.checkedAtMs < VERIFIED_REPLY_REUSE_MS) return checked.result;
    this.#counters.repliesChecked++;
    const answer = Cbor.decode<QueryResponse>(body);
    const response = { ...answer, requestId: poll.requestId as RequestId, httpDetails: { ok: true, status: 200, statusText: 'OK', headers: [] } } as ApiQueryResponse;
    await this.#querySignatures.verify(canisterId, response);
    if (response.status !== 'replied') {
      throw new GatewayError('ICWS_ERR_POLL_REJECTED', `ws_get_messages was rejected: ${response.reject_message}`);
    }
    const result = decodeWsGetMessagesResult(response.reply.arg);
    if ('Err' in result) throw new GatewayError('ICWS_ERR_POLL_REJECTED', `ws_get_messages returned an error: ${result.Err}`);
    if (result.Ok.messages.length > 0) {
      this.#replies.delete(canister);
      return result.Ok;
    }
    if (this.#replies.size >= MAX_REMEMBERED_CANISTERS) this.#replies.clear();
    this.#replies.set(canister, { poll, body, result: result.Ok, checkedAtMs: Date.now() });
    return result.Ok;
  }

  /** @returns the signed envelope of a poll: the last one of the canister when nonce, count and expiry are the same. */
  async #signedPoll(canisterId: Principal, canister: string, nonce: bigint, maxMessages: bigint | undefined): Promise<SignedPoll> {
    const expiryNs = queryExpiryNs();
    const last = this.#polls.get(canister);
    if (last !== undefined && last.nonce === nonce && last.maxMessages === maxMessages && last.expiryNs === expiryNs) return last;
    this.#counters.envelopesSigned++;
    const content: QueryContent<Principal> = {
      request_type: 'query',
      canister_id: canisterId,
      method_name: WS_GET_MESSAGES_METHOD,
      arg: encodeWsGetMessagesArgs({ nonce, max_messages: maxMessages === undefined ? [] : [maxMessages] }),
      sender: this.identity.getPrincipal(),
      ingress_expiry: expiryNs,
    };
    const requestId = requestIdOf(content);
    const senderSig = new Uint8Array(await this.identity.sign(withDomainSeparator(IC_REQUEST_DOMAIN_SEPARATOR, requestId)));
    const envelope = encodeEnvelope({ content, sender_pubkey: this.#senderDer, sender_sig: senderSig });
    const poll: SignedPoll = { nonce, maxMessages, expiryNs, request: this.poster.prepare(`/api/v2/canister/${canister}/query`, envelope), requestId };
    if (this.#polls.size >= MAX_REMEMBERED_CANISTERS) this.#polls.clear();
    this.#polls.set(canister, poll);
    return poll;
  }

  /** Sends a query's request. @returns the body of the replica's 200 answer */
  async #post(request: Buffer, methodName: string): Promise<Buffer> {
    let response: PostResponse;
    try {
      response = await this.poster.send(request);
    } catch (err) {
      throw unavailable(this.url, err);
    }
    if (response.status !== 200) {
      const kind = response.status >= 500 ? 'ICWS_ERR_REPLICA_UNAVAILABLE' : 'ICWS_ERR_POLL_REJECTED';
      throw new GatewayError(kind, `replica answered the ${methodName} query with ${response.status}: ${text.decode(response.body)}`);
    }
    return response.body;
  }

  /** Tells the canister that a client's socket closed. */
  async wsClose(canisterId: Principal, clientKey: ClientKey): Promise<void> {
    await this.ready();
    await this.agent.call(canisterId, { methodName: WS_CLOSE_METHOD, arg: encodeWsCloseArgs({ client_key: clientKey }) });
  }
}

/** @returns the ingress expiry of a query: 3 to 4 minutes ahead, in ns, on a whole minute. */
function queryExpiryNs(): bigint {
  const minute = 60_000;
  return BigInt(Math.floor((Date.now() + 4 * minute) / minute) * minute) * 1_000_000n;
}

/**
 * Reads a v3 call response: the certified status of the request, or a non-replicated reject.
 * @internal exported for its tests
 */
export function readCallResponse(body: Uint8Array, requestId: Uint8Array | undefined): RelayOutcome {
  const decoded = Cbor.decode<{ certificate?: Uint8Array; reject_message?: string }>(body);
  if (decoded.certificate === undefined) return { status: 'rejected', message: decoded.reject_message ?? 'rejected' };
  if (requestId === undefined) return { status: 'executed' };
  const { tree } = Cbor.decode<{ tree: unknown }>(decoded.certificate);
  const path = ['request_status', requestId];
  const status = lookupLeaf(tree, [...path, 'status']);
  if (status.status !== 'found') return { status: 'accepted' };
  const statusText = text.decode(status.value);
  if (statusText === 'replied') {
    const reply = lookupLeaf(tree, [...path, 'reply']);
    return { status: 'replied', reply: reply.status === 'found' ? reply.value : new Uint8Array() };
  }
  if (statusText === 'rejected') {
    const message = lookupLeaf(tree, [...path, 'reject_message']);
    return { status: 'rejected', message: message.status === 'found' ? text.decode(message.value) : 'rejected' };
  }
  return { status: 'accepted' };
}

/**
 * An icws replica says it is overloaded with 503 and its code; a boundary node of the IC limits
 * rates with 429. Either way the call was not taken, and may be later.
 */
function isOverloaded(response: PostResponse): boolean {
  return response.status === 429 || (response.status === 503 && response.errorCode === 'ICWS_ERR_REPLICA_OVERLOADED');
}

function unavailable(url: URL, err: unknown): GatewayError {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
  return new GatewayError('ICWS_ERR_REPLICA_UNAVAILABLE', `cannot reach the replica at ${url.origin} (${cause})`);
}
