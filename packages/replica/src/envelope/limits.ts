/**
 * Bounds on request envelopes. They keep the work done before a signature is checked (decoding,
 * hashing the request id) proportional to what honest agents send.
 */

/** Largest request body the replica reads; bigger bodies get 413 before any decoding. */
export const MAX_ENVELOPE_BYTES = 2 * 1024 * 1024;
/** How far ahead ingress_expiry may be: the spec's 5 minutes plus 60 s for clients' clock drift. */
export const MAX_INGRESS_EXPIRY_NS = (5n * 60n + 60n) * 1_000_000_000n;
/** Longest delegation chain accepted (IC interface spec, "Authentication"). */
export const MAX_DELEGATIONS = 20;
/** Most canisters one delegation may be limited to (IC interface spec, "Authentication"). */
export const MAX_DELEGATION_TARGETS = 1000;
/** Most paths in one read_state request, as the IC replica allows. */
export const MAX_READ_STATE_PATHS = 1000;
/** Most labels in one read_state path, as the IC replica allows. */
export const MAX_PATH_LABELS = 127;
