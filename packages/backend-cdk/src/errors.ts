/**
 * Errors of `@icws/backend-cdk`. Mistakes of the canister's own code (bad settings, an app message
 * that does not fit its type) are thrown as {@link CdkError}s, an `IcwsError` of `@icws/protocol`
 * with a `kind` and a stable `code`. Refusals of protocol calls are not thrown: they travel as the
 * `Err` texts of the protocol's results (see `websocket/errors.ts`).
 */
import { defineErrorCodes, IcwsError } from '@icws/protocol';

/** The codes of {@link CdkError} and what each means. */
export const CDK_ERROR_CODES = defineErrorCodes({
  ICWS_ERR_WS_CONFIG: { kind: 'config', summary: '`createIcWebSocket` got settings out of range (at install)' },
  ICWS_ERR_WS_APP_MESSAGE: { kind: 'input', summary: 'a value or bytes that do not fit the app message type' },
  ICWS_ERR_WS_MESSAGE_TOO_LARGE: { kind: 'input', summary: '`broadcast` of a message larger than a `ws_get_messages` reply can carry (`maxReturnedBytes`)' },
  ICWS_ERR_IDL_SOURCE_UNSUPPORTED: { kind: 'input', summary: '`idlFactorySource` got a Candid type it cannot print (recursive types, services)' },
  ICWS_ERR_CANISTER_CONTEXT: { kind: 'input', summary: '`FakeCanisterContext`: the context was used outside a message, or as the IC forbids' },
  ICWS_ERR_CANISTER_TRAPPED: { kind: 'reject', summary: '`TestCanister`: the method threw, or its arguments were not Candid of its signature' },
  ICWS_ERR_CANISTER_METHOD: { kind: 'input', summary: '`TestCanister`: no such method, or an update method called as a query' },
  ICWS_ERR_STABLE_COLLECTION: { kind: 'input', summary: 'a stable collection name that is empty or longer than 256 characters, or a store operation on a collection never opened' },
  ICWS_ERR_STABLE_TYPE: { kind: 'config', summary: 'a stable collection used after it was reopened with other Candid types than it was created with (the call traps)' },
  ICWS_ERR_STABLE_VALUE: { kind: 'input', summary: 'a key or value that does not fit a stable collection\'s Candid type, stored bytes that do not decode, or a `StableVec` index past the end' },
});

/** One of the codes of {@link CDK_ERROR_CODES}. */
export type CdkErrorCode = keyof typeof CDK_ERROR_CODES;

/** The error the canister kit throws. */
export class CdkError extends IcwsError<CdkErrorCode> {
  /**
   * @param code - stable machine-readable code, one of {@link CDK_ERROR_CODES}
   * @param message - human-readable explanation that names the problem and the fix
   */
  constructor(code: CdkErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, ...CDK_ERROR_CODES[code] });
  }
}
