/**
 * Request-envelope validation of the embedded replica: decode a CBOR body, then check it against
 * the endpoint it was posted to (IC interface spec: "Envelope", "Request ids", "Authentication").
 * Every refusal is an {@link EnvelopeError} whose `status` is the HTTP answer:
 *
 * - 413 `ICWS_ERR_TOO_LARGE`
 * - 400 `ICWS_ERR_BAD_CBOR`, `ICWS_ERR_MALFORMED_ENVELOPE`, `ICWS_ERR_READ_STATE_TOO_LARGE`,
 *   `ICWS_ERR_WRONG_REQUEST_TYPE`, `ICWS_ERR_CANISTER_MISMATCH`, `ICWS_ERR_MANAGEMENT_CANISTER`,
 *   `ICWS_ERR_EXPIRED`, `ICWS_ERR_EXPIRY_TOO_FAR`, `ICWS_ERR_UNSUPPORTED_KEY`, `ICWS_ERR_BAD_PUBLIC_KEY`,
 *   `ICWS_ERR_DELEGATION_CHAIN_TOO_LONG`, `ICWS_ERR_DELEGATION_TARGETS`, `ICWS_ERR_DELEGATION_CYCLE`
 * - 403 `ICWS_ERR_ANONYMOUS_SIGNED`, `ICWS_ERR_MISSING_SIGNATURE`, `ICWS_ERR_SENDER_MISMATCH`,
 *   `ICWS_ERR_DELEGATION_EXPIRED`, `ICWS_ERR_DELEGATION_TARGET`, `ICWS_ERR_BAD_DELEGATION_SIGNATURE`,
 *   `ICWS_ERR_BAD_SIGNATURE`
 */
export { EnvelopeError, type EnvelopeStatus } from './envelope-error';
export { decodeEnvelope } from './decode';
export {
  MAX_DELEGATION_TARGETS,
  MAX_DELEGATIONS,
  MAX_ENVELOPE_BYTES,
  MAX_INGRESS_EXPIRY_NS,
  MAX_PATH_LABELS,
  MAX_READ_STATE_PATHS,
} from './limits';
export { requestIdOf, type HashableMap, type HashableValue } from './request-id';
export { keyTypeOf, type KeyType } from './spki';
export { verifySignature, KEY_CACHE_CAPACITY } from './verify-signature';
export { InThreadSignatureVerifier, type SignatureItem, type SignatureVerifier } from './signature-verifier';
export { CachingSignatureVerifier, VERIFIED_CACHE_CAPACITY } from './caching-verifier';
export { validateEnvelope, type ExpectedRequest, type ValidatedRequest } from './validate';
export { EnvelopeValidator, type EnvelopeValidatorOptions } from './envelope-validator';
export type {
  CallContent,
  ContentBase,
  Delegation,
  Envelope,
  QueryContent,
  ReadStateContent,
  RequestContent,
  RequestType,
  SignedDelegation,
} from '@icws/protocol';
