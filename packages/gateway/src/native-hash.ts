/**
 * SHA-256 with node:crypto, for the gateway's hashing on the hot path (poll request ids, query
 * reply hashes, witness hashes): several times the speed of the JavaScript one on these inputs.
 */
import { hash as oneShotHash } from 'node:crypto';
import { createRequestIdOf, type RequestIdOf } from '@icws/protocol';

/** @returns the SHA-256 of `data` */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(oneShotHash('sha256', data, 'buffer'));
}

/** The interface specification's request id (representation-independent hash), with {@link sha256}. */
export const requestIdOf: RequestIdOf = createRequestIdOf(sha256);
