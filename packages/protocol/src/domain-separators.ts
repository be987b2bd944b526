/**
 * Domain separators of the IC interface specification: every signed message starts with one, a
 * length byte and a name, so that a signature made for one purpose cannot pass for another.
 */

const utf8 = new TextEncoder();

/** @returns the domain separator of `name`: its length in one byte, then its bytes. */
function separator(name: string): Uint8Array {
  const bytes = utf8.encode(name);
  return Uint8Array.from([bytes.length, ...bytes]);
}

/** Prefix of what `sender_sig` signs: `"\x0Aic-request"` then the request id. */
export const IC_REQUEST_DOMAIN_SEPARATOR: Uint8Array = separator('ic-request');
/** Prefix of what a delegation's signature signs: `"\x1Aic-request-auth-delegation"` then the delegation's request id. */
export const IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR: Uint8Array = separator('ic-request-auth-delegation');
/** Prefix of what a node signs for a query reply: `"\x0Bic-response"` then the reply's hash. */
export const IC_RESPONSE_DOMAIN_SEPARATOR: Uint8Array = separator('ic-response');
/** Prefix of what a certificate's signature signs: `"\x0Dic-state-root"` then the tree's root hash. */
export const IC_STATE_ROOT_DOMAIN_SEPARATOR: Uint8Array = separator('ic-state-root');

/** @returns a new array holding `domainSeparator` followed by `message`, what is signed. */
export function withDomainSeparator(domainSeparator: Uint8Array, message: Uint8Array): Uint8Array {
  const out = new Uint8Array(domainSeparator.length + message.length);
  out.set(domainSeparator);
  out.set(message, domainSeparator.length);
  return out;
}
