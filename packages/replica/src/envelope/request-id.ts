import { sha256 } from '@icws/backend-cdk';
import { createRequestIdOf, type RequestIdOf } from '@icws/protocol';

export type { HashableMap, HashableValue } from '@icws/protocol';

/**
 * The request ids of `@icws/protocol` hashed with the kit's sha256 (node:crypto): the replica
 * computes one or more per request (content, delegations, query replies), where the JavaScript
 * sha256 would cost about 2.7 times as much.
 */
export const requestIdOf: RequestIdOf = createRequestIdOf(sha256);
