/**
 * Signed `call` envelopes for `ws_open` and `ws_message`, made exactly as `HttpAgent.call` makes
 * them (request content, `Expiry`, a random 16-byte nonce as `makeNonce` makes, then the identity's `transformRequest`, which signs
 * `"\x0Aic-request" ++ requestIdOf(content)` and adds the sender key and any delegation chain), and
 * wrapped in the `ClientRequest` frame the gateway relays. Any `SignIdentity` works, including a
 * `DelegationIdentity` from Internet Identity.
 */
import { Endpoint, Expiry, SubmitRequestType, type CallRequest, type Nonce, type SignIdentity } from '@icp-sdk/core/agent';
import type { Principal } from '@icp-sdk/core/principal';
import { encodeClientRequest, type CallEnvelope } from '@icws/protocol';
import { describeError, IcWebSocketError, IcWebSocketErrorCode } from './errors';

/**
 * How far ahead an envelope expires: the IC accepts at most 5 minutes, and `Expiry` rounds down to
 * the minute, as `HttpAgent` does by default.
 */
export const INGRESS_EXPIRY_MS = 5 * 60 * 1000;

/** What the signer needs of an identity: `SignIdentity`'s methods (duck-typed, so any copy of the agent works). */
export type SigningIdentity = Pick<SignIdentity, 'getPrincipal' | 'getPublicKey' | 'sign' | 'transformRequest'>;

/** Signs the calls of one client to one canister. */
export class EnvelopeSigner {
  readonly principal: Principal;

  /**
   * @param identity - signs every envelope
   * @param canisterId - the canister called
   * @param ingressExpiryMs - validity of each envelope
   */
  constructor(
    private readonly identity: SigningIdentity,
    private readonly canisterId: Principal,
    private readonly ingressExpiryMs: number = INGRESS_EXPIRY_MS,
  ) {
    this.principal = identity.getPrincipal();
  }

  /**
   * @returns the `ClientRequest` frame of a signed call of `methodName` with Candid `arg`.
   * @throws {IcWebSocketError} `ICWS_ERR_SIGNING_FAILED` when the identity fails to sign
   */
  async sign(methodName: string, arg: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
    const content: CallRequest = {
      request_type: SubmitRequestType.Call,
      canister_id: this.canisterId,
      method_name: methodName,
      arg,
      sender: this.principal,
      ingress_expiry: Expiry.fromDeltaInMilliseconds(this.ingressExpiryMs),
      nonce: nextNonce(),
    };
    let signed: unknown;
    try {
      signed = await this.identity.transformRequest({
        request: { body: null, method: 'POST', headers: { 'Content-Type': 'application/cbor' } },
        endpoint: Endpoint.Call,
        body: content,
      });
    } catch (cause) {
      throw new IcWebSocketError(IcWebSocketErrorCode.SIGNING_FAILED, `the identity failed to sign a ${methodName} envelope: ${describeError(cause)}`, { cause });
    }
    return encodeClientRequest({ envelope: toCallEnvelope(signed, content) });
  }
}

/** The body an identity's `transformRequest` returns: the protocol's envelope around the agent's content. */
type TransformedBody = Omit<CallEnvelope, 'content'> & { content: CallRequest };

/** @returns the identity's signed body as the protocol's envelope type. */
function toCallEnvelope(signed: unknown, content: CallRequest): CallEnvelope {
  const body = (signed as { body?: TransformedBody }).body;
  if (body === undefined || body.content !== content) {
    throw new IcWebSocketError(IcWebSocketErrorCode.SIGNING_FAILED, 'the identity returned no signed envelope for the request it was given');
  }
  const envelope: CallEnvelope = {
    content: {
      request_type: 'call',
      canister_id: content.canister_id,
      method_name: content.method_name,
      arg: content.arg,
      sender: content.sender as Principal,
      ingress_expiry: content.ingress_expiry.toBigInt(),
      nonce: content.nonce,
    },
  };
  if (body.sender_pubkey !== undefined) envelope.sender_pubkey = body.sender_pubkey;
  if (body.sender_sig !== undefined) envelope.sender_sig = body.sender_sig;
  if (body.sender_delegation !== undefined) envelope.sender_delegation = body.sender_delegation;
  return envelope;
}

/** Nonces are cut from random bytes drawn this many at a time: one call to the platform's RNG per 256 envelopes. */
const NONCE_POOL_BYTES = 4096;
const NONCE_BYTES = 16;
let noncePool = new Uint8Array(0);
let nonceAt = 0;

/** @returns 16 fresh random bytes, as `makeNonce` gives (each byte of the pool is used once). */
function nextNonce(): Nonce {
  if (nonceAt + NONCE_BYTES > noncePool.length) {
    noncePool = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_POOL_BYTES));
    nonceAt = 0;
  }
  nonceAt += NONCE_BYTES;
  return noncePool.slice(nonceAt - NONCE_BYTES, nonceAt) as Nonce;
}
