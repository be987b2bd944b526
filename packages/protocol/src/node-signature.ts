/**
 * What an IC node signs when it answers a query (IC interface spec, "Query call"): the response
 * domain separator followed by the request id of `{status, reply | reject fields, timestamp,
 * request_id}`. The replica signs it with its node key; the gateway checks it against the node
 * keys of the canister's subnet.
 */
import { IC_RESPONSE_DOMAIN_SEPARATOR, withDomainSeparator } from './domain-separators';
import { requestIdOf as defaultRequestIdOf, type RequestIdOf } from './request-id';

/** The outcome of a query, with the field names of the reply body. */
export type QueryReplyOutcome =
  | { readonly status: 'replied'; readonly reply: { readonly arg: Uint8Array } }
  | { readonly status: 'rejected'; readonly reject_code: number; readonly reject_message: string; readonly error_code: string };

/**
 * @param outcome - the reply or the reject, as the reply body carries it
 * @param timestamp - the signature's timestamp, nanoseconds since the epoch
 * @param requestId - the request id of the query
 * @param requestIdOf - the hash to use @default the browser-safe {@link defaultRequestIdOf}
 * @returns the hash a node signs (after {@link IC_RESPONSE_DOMAIN_SEPARATOR}) for this reply
 */
export function queryReplyHash(outcome: QueryReplyOutcome, timestamp: bigint, requestId: Uint8Array, requestIdOf: RequestIdOf = defaultRequestIdOf): Uint8Array {
  return requestIdOf(
    outcome.status === 'replied'
      ? { status: 'replied', reply: { arg: outcome.reply.arg }, timestamp, request_id: requestId }
      : {
          status: 'rejected',
          reject_code: outcome.reject_code,
          reject_message: outcome.reject_message,
          error_code: outcome.error_code,
          timestamp,
          request_id: requestId,
        },
  );
}

/**
 * @returns the message a node signs for this query reply: {@link IC_RESPONSE_DOMAIN_SEPARATOR}
 *   followed by {@link queryReplyHash}
 */
export function nodeSignatureMessage(outcome: QueryReplyOutcome, timestamp: bigint, requestId: Uint8Array, requestIdOf: RequestIdOf = defaultRequestIdOf): Uint8Array {
  return withDomainSeparator(IC_RESPONSE_DOMAIN_SEPARATOR, queryReplyHash(outcome, timestamp, requestId, requestIdOf));
}
