/**
 * Errors of `@icws/gateway`: a {@link GatewayError} is an `IcwsError` of `@icws/protocol` whose
 * code is listed in {@link GATEWAY_ERROR_CODES}. Errors that end a session travel in its close
 * reason, code first (`ICWS_ERR_ENVELOPE_REFUSED: …`).
 */
import { CloseCode, defineErrorCodes, IcwsError, type IcwsErrorKind } from '@icws/protocol';

/** The codes of {@link GatewayError}, what each means and the close code it ends a session with. */
export const GATEWAY_ERROR_CODES = defineErrorCodes({
  ICWS_ERR_USAGE: { kind: 'config', summary: 'a flag or environment variable is missing or malformed (exit code 2)' },
  ICWS_ERR_KEY_PAIR: { kind: 'config', summary: '`DATA_DIR/key_pair` is not an Ed25519 PKCS#8 key; delete it to get a new principal' },
  ICWS_ERR_REPLICA_UNAVAILABLE: { kind: 'transport', closeCode: CloseCode.INTERNAL_ERROR, summary: 'the replica cannot be reached or answered 5xx; retried with backoff' },
  ICWS_ERR_ENVELOPE_REFUSED: { kind: 'reject', closeCode: CloseCode.INTERNAL_ERROR, summary: "the replica refused a client's envelope (4xx; the reason quotes it)" },
  ICWS_ERR_POLL_REJECTED: { kind: 'reject', summary: 'the canister rejected `ws_get_messages` or returned `Err`' },
  ICWS_ERR_QUERY_SIGNATURE: { kind: 'trust', summary: "a poll's reply is not signed by a node of the canister's subnet" },
});

/** One of the codes of {@link GATEWAY_ERROR_CODES}. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES;

/** Categories of gateway failures, for callers that branch on the category. */
export type GatewayErrorKind = IcwsErrorKind;

/** The error the gateway throws and logs. */
export class GatewayError extends IcwsError<GatewayErrorCode> {
  /**
   * @param _kind - the category; the registry's for the code is used
   * @param code - stable machine-readable code, one of {@link GATEWAY_ERROR_CODES}
   * @param message - human-readable explanation that names the problem and the fix
   */
  constructor(_kind: string, code: GatewayErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, ...GATEWAY_ERROR_CODES[code] });
  }
}
