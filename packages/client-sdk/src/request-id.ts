/**
 * Request ids of the calls the SDK's own identity signs. Every message a client sends is a call
 * whose content differs from the last one only in its argument and nonce: `@icws/protocol`'s
 * request id keeps the hashes of the field names and of the values that repeat (request type,
 * canister, method, sender, the expiry rounded to the minute), where the agent's `requestIdOf`
 * hashes every field of every call again. It gives the ids the agent gives (the tests compare
 * them); content with values it does not take is left to the agent.
 */
import { requestIdOf, type HashableValue } from '@icws/protocol';

/**
 * @param content - a request's content, as the agent builds it (`CallRequest`)
 * @returns its request id, or `undefined` when a field holds a value other than text, bytes, a
 *   natural number, a principal or an `Expiry` (then use the agent's `requestIdOf`)
 * @internal
 */
export function fastRequestIdOf(content: object): Uint8Array | undefined {
  const fields: Record<string, HashableValue> = {};
  for (const [key, value] of Object.entries(content)) {
    const hashable = hashableOf(value);
    if (hashable === UNSUPPORTED) return undefined;
    fields[key] = hashable;
  }
  return requestIdOf(fields);
}

const UNSUPPORTED = Symbol('unsupported');

/** @returns `value` as the protocol's hasher takes it, hashing to what the agent's `hashValue` gives. */
function hashableOf(value: unknown): HashableValue | typeof UNSUPPORTED {
  if (value === undefined || typeof value === 'string' || value instanceof Uint8Array) return value;
  if (typeof value === 'bigint') return value >= 0n ? value : UNSUPPORTED;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : UNSUPPORTED;
  if (typeof value !== 'object' || value === null) return UNSUPPORTED;
  const object = value as { _isPrincipal?: unknown; toUint8Array?: unknown; toHash?: unknown };
  if (object._isPrincipal === true && typeof object.toUint8Array === 'function') return value as HashableValue;
  if (typeof object.toHash === 'function') {
    // an `Expiry`: the agent hashes what toHash gives (its LEB128 bytes)
    const hash: unknown = (object.toHash as () => unknown)();
    return hash instanceof Uint8Array ? hash : UNSUPPORTED;
  }
  return UNSUPPORTED;
}
