/**
 * WebSocket close codes of an `IcWebSocket`: the table of `@icws/protocol` (`CLOSE_CODES`), which
 * says for each code who sends it, when, and whether the SDK reconnects after it. The client sends
 * its own codes to the gateway when it closes the socket and reports them in the `close` event;
 * codes the gateway sends are reported as they arrive.
 */
import { CLOSE_CODES, CloseCode, closeReason, isReconnectable } from '@icws/protocol';
import { CLIENT_ERROR_CODES, type IcWebSocketErrorCode } from './errors';

export { CLOSE_CODES, CloseCode, closeReason, isReconnectable };

/** @returns the code with which the client closes the socket after an error of `code`. @internal */
export function closeCodeOfError(code: IcWebSocketErrorCode): CloseCode {
  return CLIENT_ERROR_CODES[code].closeCode as CloseCode;
}
