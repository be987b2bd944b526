/**
 * Bounds of the IC interface specification on request envelopes. The strict decoder refuses what
 * exceeds them, so the work done before a signature is checked (decoding, hashing the request id)
 * stays proportional to what honest agents send.
 */

/** Longest principal, in bytes (IC interface spec, "Principals"). */
export const MAX_PRINCIPAL_BYTES = 29;
/** Longest `nonce` of a request content, in bytes. */
export const MAX_NONCE_BYTES = 32;
/** Longest delegation chain accepted (IC interface spec, "Authentication"). */
export const MAX_DELEGATIONS = 20;
/** Most canisters one delegation may be limited to (IC interface spec, "Authentication"). */
export const MAX_DELEGATION_TARGETS = 1000;
/** Most paths in one read_state request, as the IC replica allows. */
export const MAX_READ_STATE_PATHS = 1000;
/** Most labels in one read_state path, as the IC replica allows. */
export const MAX_PATH_LABELS = 127;
