import { createHash, hash as oneShotHash } from 'node:crypto';
import { decodeEnvelope } from './decode';
import { MAX_INGRESS_EXPIRY_NS } from './limits';
import { LruCache } from './lru-cache';
import type { SignatureVerifier } from './signature-verifier';
import type { RequestType } from '@icws/protocol';
import { validateEnvelope, type ExpectedRequest, type ValidatedRequest } from './validate';

/** Options of {@link EnvelopeValidator}. */
export interface EnvelopeValidatorOptions {
  /** Bodies that passed, remembered for when they come again. @default 8192 */
  readonly capacity?: number;
  /** Larger bodies are validated every time, so the cache stays small. @default 4096 */
  readonly maxCachedBodyBytes?: number;
  /**
   * Bytes of the remembered bodies, each counted with {@link ENTRY_OVERHEAD_BYTES} for what decoding
   * it made: the decoded content shares the body's bytes. @default 16 MiB
   */
  readonly maxCachedBytes?: number;
  /** How far in the future ingress_expiry may be. @default MAX_INGRESS_EXPIRY_NS */
  readonly maxExpiryNs?: bigint;
  /**
   * The request types whose bodies are remembered: those sent again and again. An update call is
   * executed once, so remembering its body would only hold memory. @default query and read_state
   */
  readonly cachedRequestTypes?: readonly RequestType[];
}

/** What a remembered body costs besides its bytes: the decoded envelope, the key, the entry. */
const ENTRY_OVERHEAD_BYTES = 512;

interface Passed {
  readonly request: ValidatedRequest;
  readonly bodyBytes: number;
  /** The earliest of the ingress expiry and the delegations' expirations. */
  readonly validUntilNs: bigint;
}

/**
 * Decodes and validates request bodies ({@link decodeEnvelope}, {@link validateEnvelope}), and
 * remembers the query and read_state bodies that passed, by the sha256 of their bytes and the
 * endpoint and canister they were posted to. The same bytes posted to the same place again (a gateway polling
 * `ws_get_messages` with one nonce, an agent whose query expiry is rounded to the minute) then
 * cost one hash instead of a decoding, a request id and signature checks.
 *
 * Only the checks that depend on time can change their answer for the same bytes, so a
 * remembered body is re-checked against those: it is valid until its ingress expiry or the
 * expiration of a delegation it carries, whichever comes first. After that it goes through full
 * validation again, which refuses it with the usual error.
 */
export class EnvelopeValidator {
  readonly #passed: LruCache<string, Passed>;
  readonly #maxCachedBodyBytes: number;
  readonly #maxExpiryNs: bigint;
  readonly #cachedRequestTypes: ReadonlySet<RequestType>;

  /** @param verifier - checks the signatures of the bodies not remembered */
  constructor(
    private readonly verifier: SignatureVerifier,
    options: EnvelopeValidatorOptions = {},
  ) {
    this.#passed = new LruCache(options.capacity ?? 8192, {
      maxBytes: options.maxCachedBytes ?? 16 * 1024 * 1024,
      sizeOf: (passed) => passed.bodyBytes + ENTRY_OVERHEAD_BYTES,
    });
    this.#maxCachedBodyBytes = options.maxCachedBodyBytes ?? 4096;
    this.#maxExpiryNs = options.maxExpiryNs ?? MAX_INGRESS_EXPIRY_NS;
    this.#cachedRequestTypes = new Set(options.cachedRequestTypes ?? ['query', 'read_state']);
  }

  /**
   * @param nowNs - the replica's time in nanoseconds since the Unix epoch
   * @returns the request's id, content and sender; the same objects for a body seen before, so
   *   treat them as read-only
   * @throws EnvelopeError as decodeEnvelope and validateEnvelope do
   */
  async validate(body: Uint8Array, expected: ExpectedRequest, nowNs: bigint): Promise<ValidatedRequest> {
    const cached = body.length <= this.#maxCachedBodyBytes && this.#cachedRequestTypes.has(expected.requestType);
    const key = cached ? cacheKey(body, expected) : undefined;
    const passed = key === undefined ? undefined : this.#passed.get(key);
    if (passed !== undefined && passed.validUntilNs >= nowNs) return passed.request;
    const envelope = decodeEnvelope(body);
    const request = await validateEnvelope(envelope, expected, nowNs, this.#maxExpiryNs, this.verifier);
    if (key !== undefined) {
      let validUntilNs = envelope.content.ingress_expiry;
      for (const { delegation } of envelope.sender_delegation ?? []) {
        if (delegation.expiration < validUntilNs) validUntilNs = delegation.expiration;
      }
      this.#passed.set(key, { request, bodyBytes: body.length, validUntilNs });
    }
    return request;
  }
}

// A text digest: a Buffer digest gets a native backing store, which costs more than the hashing.
const sha256Base64: (data: Uint8Array) => string =
  typeof oneShotHash === 'function'
    ? (data) => oneShotHash('sha256', data, 'base64')
    : (data) => createHash('sha256').update(data).digest('base64');

function cacheKey(body: Uint8Array, { requestType, effectiveCanisterId }: ExpectedRequest): string {
  const canister = effectiveCanisterId.toUint8Array();
  return `${requestType} ${Buffer.from(canister.buffer, canister.byteOffset, canister.byteLength).toString('hex')} ${sha256Base64(body)}`;
}
