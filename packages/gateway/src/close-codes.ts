/**
 * WebSocket close codes the gateway uses. Each close also carries a reason that names the problem.
 *
 * | code | when |
 * |------|------|
 * | 1000 | the client closed, or the canister closed the connection |
 * | 1001 | the gateway is shutting down |
 * | 1003 | a text frame: the protocol speaks CBOR in binary frames |
 * | 1007 | a frame that is not a CBOR client request, or not a signed `call` envelope |
 * | 1008 | a request the gateway refuses: first frame not `ws_open`, `ws_open` naming another gateway, another canister, the canister refusing `ws_open` |
 * | 1009 | a frame over the size limit |
 * | 1011 | the replica refused or failed a relayed envelope |
 * | 1013 | the client reads too slowly: its send buffer passed the limit |
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  UnsupportedData: 1003,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  TooBig: 1009,
  InternalError: 1011,
  TryAgainLater: 1013,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

const MAX_REASON_BYTES = 123;

/** @returns `reason` cut to the 123 bytes a close frame can carry. */
export function closeReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= MAX_REASON_BYTES) return reason;
  let cut = MAX_REASON_BYTES - 3;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return new TextDecoder().decode(bytes.subarray(0, cut)) + '...';
}
