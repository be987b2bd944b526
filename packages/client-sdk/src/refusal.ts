/**
 * Which ends of a connection are final and which are worth a new connection. A refusal that a new
 * connection would meet again (a refused `ws_open`, an envelope the replica refuses because its
 * delegation expired or its signature is invalid, an identity that cannot sign) is final: the
 * client reports it once and stops. Passing conditions (a gateway restart, a dropped socket, an
 * unavailable or overloaded replica, a silent canister) are transient: with `reconnect`, a new session follows.
 *
 * The gateway's close reasons start with its code (`ICWS_ERR_ENVELOPE_REFUSED: …`); an envelope
 * refusal quotes the replica's answer, which ends with the replica's code in parentheses when the
 * reason was not cut to the 123 bytes a close frame carries. The code in the reason decides where
 * there is one; the close code's entry in `CLOSE_CODES` decides otherwise.
 */
import { CloseCode, codeOfWireText, isReconnectable } from '@icws/protocol';

/** How a close ends the client's connection attempts. */
export interface CloseVerdict {
  /** Whether a new connection would fail the same way: no reconnection follows. */
  readonly final: boolean;
  /** The gateway's code the close reason leads with, if any. */
  readonly gatewayCode?: string;
  /** The replica's code quoted in the reason of an envelope refusal, if it survived the cut. */
  readonly replicaCode?: string;
  /** For a final refusal by the gateway or the replica: what was refused, in words. */
  readonly refusal?: string;
  /**
   * Whether the gateway said "overloaded, try again later" (a reason leading with one of
   * {@link OVERLOAD_GATEWAY_CODES}, or a bare close 1013 without a code saying why): the next
   * connection waits the overload backoff.
   */
  readonly overloaded?: true;
}

/**
 * Gateway codes that shed load: the gateway closed the session because the replica does not keep
 * up, and a quick return would only add to the backlog. Other closes with 1013 (a slow reader,
 * ping and open timeouts) are the client's own and pass with an ordinary backoff.
 */
const OVERLOAD_GATEWAY_CODES: ReadonlySet<string> = new Set(['ICWS_ERR_OVERLOADED', 'ICWS_ERR_RELAY_BACKLOG', 'ICWS_ERR_REPLICA_OVERLOADED']);

/** Gateway codes of refusals a new connection of the same client would meet again, and what each refuses. */
const FINAL_GATEWAY_CODES: ReadonlyMap<string, string> = new Map([
  ['ICWS_ERR_ENVELOPE_REFUSED', "the replica refused the client's signed envelope: the identity's delegation expired or is invalid, or its signature does not verify"],
  ['ICWS_ERR_OPEN_REFUSED', 'the canister refused ws_open'],
  ['ICWS_ERR_OPEN_REQUIRED', "the gateway refused the client's first call, which was not ws_open"],
  ['ICWS_ERR_WRONG_GATEWAY', 'the gateway refused ws_open naming another gateway'],
  ['ICWS_ERR_WRONG_CANISTER', 'the gateway refused a call to another canister than the connection\'s'],
]);

/** Gateway codes of passing conditions, whatever their close code says. */
const TRANSIENT_GATEWAY_CODES: ReadonlySet<string> = new Set([
  'ICWS_ERR_REPLICA_UNAVAILABLE',
  'ICWS_ERR_SHUTTING_DOWN',
  'ICWS_ERR_CLIENT_TOO_SLOW',
  ...OVERLOAD_GATEWAY_CODES,
  // a new session has a new client nonce, so a new client key
  'ICWS_ERR_CLIENT_KEY_IN_USE',
]);

/** Replica codes of envelope refusals that a freshly signed envelope does not meet again. */
const TRANSIENT_REPLICA_CODES: ReadonlySet<string> = new Set([
  // the envelope waited in a relay past its ingress expiry; a new one gets a new expiry
  'ICWS_ERR_EXPIRED',
  'ICWS_ERR_REPLICA_CLOSED',
  'ICWS_ERR_REPLICA_OVERLOADED',
]);

/**
 * @returns whether a close the gateway (or the network) sent is final, and what it refuses.
 * @param code - the close code received
 * @param reason - the close reason received
 */
export function classifyGatewayClose(code: number, reason: string): CloseVerdict {
  const verdict = classifyCode(code, reason);
  const overloaded = verdict.gatewayCode === undefined ? code === CloseCode.TRY_AGAIN_LATER : OVERLOAD_GATEWAY_CODES.has(verdict.gatewayCode);
  return overloaded && !verdict.final ? { ...verdict, overloaded: true } : verdict;
}

function classifyCode(code: number, reason: string): CloseVerdict {
  const leading = codeOfWireText(reason);
  const gatewayCode = leading !== undefined && reason.startsWith(leading) ? leading : undefined;
  if (gatewayCode === undefined) return { final: !isReconnectable(code) };
  if (TRANSIENT_GATEWAY_CODES.has(gatewayCode)) return { final: false, gatewayCode };
  const refusal = FINAL_GATEWAY_CODES.get(gatewayCode);
  if (refusal === undefined) return { final: !isReconnectable(code), gatewayCode };
  const replicaCode = codeOfWireText(reason.slice(gatewayCode.length));
  if (replicaCode !== undefined && TRANSIENT_REPLICA_CODES.has(replicaCode)) return { final: false, gatewayCode, replicaCode };
  return { final: true, gatewayCode, replicaCode, refusal };
}

/**
 * @returns whether a close the client sent, after an error with that close code or at the
 *   application's request, is final (a signing failure is; a protocol breach or a timeout is not)
 * @param code - the close code the client sent
 */
export function classifyClientClose(code: number): CloseVerdict {
  return { final: !isReconnectable(code) };
}
