import { createHash, hash as oneShotHash } from 'node:crypto';
import { createRequestIdOf, type RequestIdOf } from '@icws/protocol';

export type { HashableMap, HashableValue } from '@icws/protocol';

// crypto.hash (Node >= 20.12) is about 1.7x faster than createHash for the short inputs hashed here.
const sha256: (data: Uint8Array) => Uint8Array =
  typeof oneShotHash === 'function'
    ? (data) => oneShotHash('sha256', data, 'buffer')
    : (data) => createHash('sha256').update(data).digest();

/**
 * The request ids of `@icws/protocol` hashed with node:crypto's sha256: the replica computes one
 * or more per request (content, delegations, query replies), where the JavaScript sha256 would
 * cost about 2.7 times as much.
 */
export const requestIdOf: RequestIdOf = createRequestIdOf(sha256);
