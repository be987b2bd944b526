import { createHash, hash as oneShotHash } from 'node:crypto';
import { Principal } from '@icp-sdk/core/principal';
import {
  equalBytes,
  hex,
  IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR,
  IC_REQUEST_DOMAIN_SEPARATOR,
  principalFromBytes,
  withDomainSeparator,
  type Envelope,
  type RequestContent,
  type RequestType,
  type SignedDelegation,
} from '@icws/protocol';
import { EnvelopeError } from './envelope-error';
import { requestIdOf } from './request-id';
import { CachingSignatureVerifier } from './caching-verifier';
import { InThreadSignatureVerifier, type SignatureItem, type SignatureVerifier } from './signature-verifier';
import { MAX_DELEGATION_TARGETS, MAX_DELEGATIONS, MAX_INGRESS_EXPIRY_NS } from './limits';
import { keyTypeOf } from './spki';
const ENDPOINTS: Record<RequestType, string> = {
  call: '/api/v3/canister/<id>/call',
  query: '/api/v2/canister/<id>/query',
  read_state: '/api/v2/canister/<id>/read_state',
};
const SELF_AUTHENTICATING_SUFFIX = 0x02;
const defaultVerifier = new CachingSignatureVerifier(new InThreadSignatureVerifier());

/** What the URL a request was posted to says about it. */
export interface ExpectedRequest {
  /** The request type the endpoint serves. */
  requestType: RequestType;
  /** The canister id in the URL. */
  effectiveCanisterId: Principal;
}

/** A request that passed every check: its id, its content and who sent it. */
export interface ValidatedRequest {
  requestId: Uint8Array;
  content: RequestContent;
  sender: Principal;
}

/**
 * Checks a decoded envelope the way the IC does before it accepts a request: right endpoint,
 * right canister, fresh, and authenticated by the sender's key or a delegation chain from it.
 * Cheap checks come first so that forged requests cost as little as possible.
 *
 * @param nowNs - the replica's time in nanoseconds since the Unix epoch
 * @param maxExpiryNs - how far in the future ingress_expiry may be
 * @param verifier - where signatures are checked; by default on this thread, remembering successes
 * @throws EnvelopeError with the status and a code of its own for each check that fails
 */
export async function validateEnvelope(
  envelope: Envelope,
  expected: ExpectedRequest,
  nowNs: bigint,
  maxExpiryNs: bigint = MAX_INGRESS_EXPIRY_NS,
  verifier: SignatureVerifier = defaultVerifier,
): Promise<ValidatedRequest> {
  const { content } = envelope;
  if (content.request_type !== expected.requestType) {
    throw new EnvelopeError(
      400,
      'ICWS_ERR_WRONG_REQUEST_TYPE',
      `content.request_type is "${content.request_type}" but this endpoint accepts "${expected.requestType}" requests; send it to ${ENDPOINTS[content.request_type]}`,
    );
  }
  if (content.request_type !== 'read_state') checkCanister(content.canister_id, expected.effectiveCanisterId);
  checkExpiry(content.ingress_expiry, nowNs, maxExpiryNs);
  const requestId = requestIdOf(content);
  // One object per sender (copied out of the body), whose text form is then computed once.
  const sender = principalFromBytes(content.sender);
  if (sender.isAnonymous()) {
    checkAnonymous(envelope);
  } else {
    await authenticate(envelope, sender, requestId, expected.effectiveCanisterId, nowNs, verifier);
  }
  return { requestId, content, sender };
}

function checkCanister(canisterId: Uint8Array, effectiveCanisterId: Principal): void {
  if (canisterId.length === 0) {
    throw new EnvelopeError(
      400,
      'ICWS_ERR_MANAGEMENT_CANISTER',
      'content.canister_id is the management canister aaaaa-aa, which this replica does not support; call the canister directly instead',
    );
  }
  if (!equalBytes(canisterId, effectiveCanisterId.toUint8Array())) {
    throw new EnvelopeError(
      400,
      'ICWS_ERR_CANISTER_MISMATCH',
      `content.canister_id ${Principal.fromUint8Array(canisterId).toText()} differs from the canister ${effectiveCanisterId.toText()} in the URL; post the request to the URL of the canister it calls`,
    );
  }
}

function checkExpiry(expiryNs: bigint, nowNs: bigint, maxExpiryNs: bigint): void {
  // The prefix is what @dfinity/agent looks for to resynchronise its clock and retry.
  if (expiryNs < nowNs) {
    throw new EnvelopeError(
      400,
      'ICWS_ERR_EXPIRED',
      `Invalid request expiry: content.ingress_expiry ${timeText(expiryNs)} is ${secondsText(nowNs - expiryNs)} in the past; sign a new request, and check the client's clock`,
    );
  }
  if (expiryNs - nowNs > maxExpiryNs) {
    throw new EnvelopeError(
      400,
      'ICWS_ERR_EXPIRY_TOO_FAR',
      `Invalid request expiry: content.ingress_expiry ${timeText(expiryNs)} is ${secondsText(expiryNs - nowNs)} in the future, more than the ${secondsText(maxExpiryNs)} allowed; set it at most 5 minutes ahead, and check the client's clock`,
    );
  }
}

function checkAnonymous(envelope: Envelope): void {
  const present = (['sender_pubkey', 'sender_sig', 'sender_delegation'] as const).filter((field) => envelope[field] !== undefined);
  if (present.length > 0) {
    throw new EnvelopeError(
      403,
      'ICWS_ERR_ANONYMOUS_SIGNED',
      `content.sender is the anonymous principal 2vxsx-fae but the envelope carries ${present.join(', ')}; set sender to the signing identity's principal, or send the request unsigned`,
    );
  }
}

async function authenticate(
  envelope: Envelope,
  sender: Principal,
  requestId: Uint8Array,
  effectiveCanisterId: Principal,
  nowNs: bigint,
  verifier: SignatureVerifier,
): Promise<void> {
  const { sender_pubkey: senderKey, sender_sig: senderSig } = envelope;
  if (senderKey === undefined || senderSig === undefined) {
    const missing = senderKey === undefined ? 'sender_pubkey' : 'sender_sig';
    throw new EnvelopeError(403, 'ICWS_ERR_MISSING_SIGNATURE', `content.sender ${sender.toText()} is not anonymous, so the envelope needs ${missing}; sign the request with the sender's identity`);
  }
  keyTypeOf(senderKey, 'sender_pubkey');
  const keyPrincipal = selfAuthenticatingId(senderKey);
  if (!equalBytes(keyPrincipal, sender.toUint8Array())) {
    throw new EnvelopeError(
      403,
      'ICWS_ERR_SENDER_MISMATCH',
      `content.sender ${sender.toText()} is not the principal ${Principal.fromUint8Array(keyPrincipal).toText()} of sender_pubkey; set sender to the signing identity's getPrincipal()`,
    );
  }
  const delegations = envelope.sender_delegation ?? [];
  const items = delegationItems(delegations, senderKey, effectiveCanisterId, nowNs);
  const lastKey = delegations.length === 0 ? senderKey : delegations[delegations.length - 1].delegation.pubkey;
  items.push({ publicKeyDer: lastKey, message: withDomainSeparator(IC_REQUEST_DOMAIN_SEPARATOR, requestId), signature: senderSig });

  const verdicts = await verifier.verify(items);
  const failed = verdicts.findIndex((ok) => !ok);
  if (failed === -1 && verdicts.length === items.length) return;
  if (failed >= 0 && failed < delegations.length) {
    const signer = failed === 0 ? 'sender_pubkey' : `sender_delegation[${failed - 1}].delegation.pubkey`;
    throw new EnvelopeError(
      403,
      'ICWS_ERR_BAD_DELEGATION_SIGNATURE',
      `sender_delegation[${failed}].signature is not a signature of the delegation by ${signer}; each delegation must be signed by the key before it in the chain, starting with sender_pubkey`,
    );
  }
  const signer = delegations.length === 0 ? 'sender_pubkey' : `the last delegated key, sender_delegation[${delegations.length - 1}].delegation.pubkey`;
  throw new EnvelopeError(
    403,
    'ICWS_ERR_BAD_SIGNATURE',
    `sender_sig is not a signature of request ${hex(requestId)} by ${signer}; sign "\\x0Aic-request" followed by the request id of the content, as @dfinity/agent identities do`,
  );
}

/**
 * Checks each delegation's own rules and returns the signatures that link the chain. The length
 * bounds repeat those of decodeEnvelope for envelopes built by other means.
 */
function delegationItems(delegations: readonly SignedDelegation[], senderKey: Uint8Array, effectiveCanisterId: Principal, nowNs: bigint): SignatureItem[] {
  if (delegations.length > MAX_DELEGATIONS) {
    throw new EnvelopeError(400, 'ICWS_ERR_DELEGATION_CHAIN_TOO_LONG', `sender_delegation has ${delegations.length} delegations, more than the ${MAX_DELEGATIONS} allowed; shorten the chain`);
  }
  const items: SignatureItem[] = [];
  if (delegations.length === 0) return items;
  const seen = new Set([hex(senderKey)]);
  let signerKey = senderKey;
  delegations.forEach(({ delegation, signature }, i) => {
    const name = `sender_delegation[${i}]`;
    keyTypeOf(delegation.pubkey, `${name}.delegation.pubkey`);
    if (delegation.expiration < nowNs) {
      throw new EnvelopeError(403, 'ICWS_ERR_DELEGATION_EXPIRED', `${name} expired at ${timeText(delegation.expiration)}; sign in again to get a fresh delegation`);
    }
    const { targets } = delegation;
    if (targets !== undefined) {
      if (targets.length > MAX_DELEGATION_TARGETS) {
        throw new EnvelopeError(400, 'ICWS_ERR_DELEGATION_TARGETS', `${name} lists ${targets.length} target canisters, more than the ${MAX_DELEGATION_TARGETS} allowed`);
      }
      const canister = effectiveCanisterId.toUint8Array();
      if (!targets.some((target) => equalBytes(target, canister))) {
        throw new EnvelopeError(
          403,
          'ICWS_ERR_DELEGATION_TARGET',
          `${name} is limited to ${targetsText(targets)} and does not cover canister ${effectiveCanisterId.toText()}; get a delegation whose targets include it`,
        );
      }
    }
    const key = hex(delegation.pubkey);
    if (seen.has(key)) {
      throw new EnvelopeError(400, 'ICWS_ERR_DELEGATION_CYCLE', `${name}.delegation.pubkey appears earlier in the chain; a delegation chain must not delegate to a key twice`);
    }
    seen.add(key);
    items.push({ publicKeyDer: signerKey, message: withDomainSeparator(IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR, requestIdOf(delegation)), signature });
    signerKey = delegation.pubkey;
  });
  return items;
}

function targetsText(targets: readonly Uint8Array[]): string {
  if (targets.length === 0) return 'no canister';
  const shown = targets.slice(0, 3).map((t) => Principal.fromUint8Array(t).toText());
  return `canister${targets.length > 1 ? 's' : ''} ${shown.join(', ')}${targets.length > 3 ? ` and ${targets.length - 3} more` : ''}`;
}

function timeText(ns: bigint): string {
  const ms = ns / 1_000_000n;
  return ms <= 8_640_000_000_000_000n ? new Date(Number(ms)).toISOString() : `${ns} ns`;
}

function secondsText(ns: bigint): string {
  return `${Number(ns / 1_000_000n) / 1000} s`;
}

/** The spec's self-authenticating id, sha224(DER key) ‖ 0x02, hashed natively (agent's is JavaScript). */
function selfAuthenticatingId(publicKeyDer: Uint8Array): Uint8Array {
  // As latin1 text ('binary'): a Buffer digest gets a native backing store, which costs more than the hashing.
  const digest = typeof oneShotHash === 'function' ? oneShotHash('sha224', publicKeyDer, 'binary') : createHash('sha224').update(publicKeyDer).digest('binary');
  const id = new Uint8Array(digest.length + 1);
  for (let i = 0; i < digest.length; i++) id[i] = digest.charCodeAt(i);
  id[digest.length] = SELF_AUTHENTICATING_SUFFIX;
  return id;
}
