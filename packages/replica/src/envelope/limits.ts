/**
 * Bounds on request envelopes. They keep the work done before a signature is checked (decoding,
 * hashing the request id) proportional to what honest agents send. The bounds of the IC interface
 * specification are the protocol's; the replica adds its own on the body and the expiry.
 */
export { MAX_DELEGATION_TARGETS, MAX_DELEGATIONS, MAX_PATH_LABELS, MAX_READ_STATE_PATHS } from '@icws/protocol';

/** Largest request body the replica reads; bigger bodies get 413 before any decoding. */
export const MAX_ENVELOPE_BYTES = 2 * 1024 * 1024;
/** How far ahead ingress_expiry may be: the spec's 5 minutes plus 60 s for clients' clock drift. */
export const MAX_INGRESS_EXPIRY_NS = (5n * 60n + 60n) * 1_000_000_000n;
