/**
 * The WebSocket close codes of icws, in one table: who sends each, when, and whether a client
 * should open a new connection after it. Every close also carries a reason that starts with the
 * `ICWS_ERR_…` code of the error that caused it, where there is one (`ICWS_ERR_X: what happened`).
 * 4000 and 4001 are the codes the upstream `ic-websocket-js` uses, so applications switching from
 * it see the same values.
 */

/** Who closes a connection with a code. */
export type CloseCodeSender = 'client' | 'gateway' | 'both' | 'none';

/** What the table says of one close code. */
export interface CloseCodeInfo {
  readonly code: number;
  readonly sentBy: CloseCodeSender;
  /** Whether a client should open a new connection after a close with this code. */
  readonly reconnect: boolean;
  /** When the code is used. */
  readonly when: string;
}

/** Every close code, by name. */
export const CLOSE_CODES = {
  NORMAL: { code: 1000, sentBy: 'both', reconnect: false, when: 'the application closed the connection, or the client did' },
  GOING_AWAY: { code: 1001, sentBy: 'gateway', reconnect: true, when: 'the gateway is shutting down' },
  UNSUPPORTED_DATA: { code: 1003, sentBy: 'gateway', reconnect: true, when: 'a text frame: the protocol speaks CBOR in binary frames' },
  ABNORMAL: { code: 1006, sentBy: 'none', reconnect: true, when: 'the socket dropped without a close frame' },
  INVALID_PAYLOAD: { code: 1007, sentBy: 'gateway', reconnect: true, when: 'a frame that is not a CBOR client request with a signed `call` envelope' },
  POLICY_VIOLATION: { code: 1008, sentBy: 'gateway', reconnect: false, when: 'a request the gateway or the canister refuses: first frame not `ws_open`, `ws_open` naming another gateway, a call to another canister, `ws_open` refused, too many queued frames' },
  TOO_BIG: { code: 1009, sentBy: 'gateway', reconnect: true, when: 'a frame over the size limit, or more queued bytes than the limit' },
  INTERNAL_ERROR: { code: 1011, sentBy: 'both', reconnect: true, when: 'the replica refused or failed a relayed envelope; the root key of a local network is unreachable' },
  TRY_AGAIN_LATER: { code: 1013, sentBy: 'gateway', reconnect: true, when: 'the client reads too slowly: its send buffer passed the limit' },
  PROTOCOL_ERROR: { code: 4000, sentBy: 'client', reconnect: true, when: 'the gateway broke the protocol: bad frame, sequence number, service message' },
  CLOSED_BY_APPLICATION: { code: 4001, sentBy: 'client', reconnect: false, when: 'the canister closed the connection (`ClosedByApplication`)' },
  VERIFICATION_FAILED: { code: 4002, sentBy: 'client', reconnect: true, when: 'a relayed message failed verification: certificate, tree, content or client key' },
  OPEN_TIMEOUT: { code: 4003, sentBy: 'client', reconnect: true, when: "the canister's open message did not arrive in time" },
  ACK_TIMEOUT: { code: 4004, sentBy: 'client', reconnect: true, when: 'the canister did not acknowledge sent messages in time' },
  CANISTER_CLOSED: { code: 4005, sentBy: 'client', reconnect: true, when: 'the canister closed the connection with an error reason' },
  SEND_FAILED: { code: 4006, sentBy: 'client', reconnect: false, when: 'the identity could not sign an envelope' },
  CANISTER_SILENT: { code: 4007, sentBy: 'client', reconnect: true, when: 'no ack nor other certified message from the canister in time: the gateway withholds messages or the replica is down' },
} as const satisfies Record<string, CloseCodeInfo>;

/** A close code's name in {@link CLOSE_CODES}. */
export type CloseCodeName = keyof typeof CLOSE_CODES;

/** The close codes by name, e.g. `CloseCode.POLICY_VIOLATION` is 1008. */
export const CloseCode = Object.freeze(
  Object.fromEntries(Object.entries(CLOSE_CODES).map(([name, info]) => [name, info.code])),
) as { readonly [N in CloseCodeName]: (typeof CLOSE_CODES)[N]['code'] };

/** One of the {@link CloseCode} values. */
export type CloseCode = (typeof CloseCode)[CloseCodeName];

const BY_CODE: ReadonlyMap<number, CloseCodeInfo> = new Map(Object.values(CLOSE_CODES).map((info) => [info.code, info]));

/** @returns the table's entry for `code`, or undefined for a code icws does not send. */
export function closeCodeInfo(code: number): CloseCodeInfo | undefined {
  return BY_CODE.get(code);
}

/** @returns whether a connection that ended with `code` is worth opening again; codes not in the table are. */
export function isReconnectable(code: number): boolean {
  return BY_CODE.get(code)?.reconnect ?? true;
}

/** The most bytes a close frame's reason can carry. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** @returns `reason` cut to the 123 UTF-8 bytes a close frame can carry, marked with `...` where cut. */
export function closeReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let cut = MAX_CLOSE_REASON_BYTES - 3;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return new TextDecoder().decode(bytes.subarray(0, cut)) + '...';
}
