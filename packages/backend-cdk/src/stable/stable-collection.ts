import { IDL } from '@icp-sdk/core/candid';
import { describeError } from '@icws/protocol';
import type { CanisterContext } from '../canister/define';
import { CdkError } from '../errors';
import { candidTypeText } from './candid-type-text';
import type { StableStore } from './stable-store';

/**
 * The TypeScript value a Candid type decodes to: `bigint` for `IDL.Nat`, `string` for `IDL.Text`.
 * Records and variants decode to loose objects; give their type to `open<…>` instead.
 */
export type CandidValue<T extends IDL.Type> = ReturnType<T['decodeValue']>;

/** What a stable collection needs of the canister's context. */
export type StableContext = Pick<CanisterContext, 'stableStore' | 'print'>;

/** The longest collection name, in characters. */
export const MAX_COLLECTION_NAME_LENGTH = 256;

/**
 * What the stable collections share: the name, the type description checked on opening, and
 * Candid encoding with errors that name the collection. A collection reopened with other types
 * than it was created with is still returned, so the canister installs and its other methods
 * work; each use of it traps with the reason, which is also printed when it is opened.
 * @internal
 */
export class CollectionHandle {
  readonly #store: StableStore;
  readonly #mismatch: CdkError | undefined;

  constructor(
    ic: StableContext,
    /** The class, for messages: `StableMap`. */
    readonly kind: string,
    readonly name: string,
    types: readonly IDL.Type[],
  ) {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_COLLECTION_NAME_LENGTH) {
      throw new CdkError('ICWS_ERR_STABLE_COLLECTION', `${kind}.open: a collection name is a string of 1 to ${MAX_COLLECTION_NAME_LENGTH} characters, got ${JSON.stringify(name)}`);
    }
    this.#store = ic.stableStore;
    const type = `${kind}<${types.map(candidTypeText).join(', ')}>`;
    const opened = this.#store.open(name, type);
    if (opened.status === 'mismatch') {
      this.#mismatch = new CdkError(
        'ICWS_ERR_STABLE_TYPE',
        `stable collection "${name}" holds ${opened.storedType} but is opened as ${type}: open it with the types it was created with, ` +
          `or give the new types a new collection name (and copy the entries over in postUpgrade)`,
      );
      ic.print(this.#mismatch.message);
    }
  }

  /** The store, once the types are known to match. @throws CdkError `ICWS_ERR_STABLE_TYPE` otherwise */
  get store(): StableStore {
    if (this.#mismatch !== undefined) throw this.#mismatch;
    return this.#store;
  }

  /** @returns `value` as Candid of `type`. @throws CdkError `ICWS_ERR_STABLE_VALUE` when it is not one */
  encode(type: IDL.Type, value: unknown, what: string): Uint8Array {
    try {
      return IDL.encode([type], [value]);
    } catch (err) {
      throw this.valueError(`the ${what} is not a ${candidTypeText(type)}: ${describeError(err)}`, err);
    }
  }

  /** @returns the value of Candid `bytes` of `type`. @throws CdkError `ICWS_ERR_STABLE_VALUE` when they do not decode */
  decode<T>(type: IDL.Type, bytes: Uint8Array, what: string): T {
    try {
      return IDL.decode([type], bytes)[0] as T;
    } catch (err) {
      throw this.valueError(`a stored ${what} does not decode as ${candidTypeText(type)}: ${describeError(err)}`, err);
    }
  }

  valueError(problem: string, cause?: unknown): CdkError {
    return new CdkError('ICWS_ERR_STABLE_VALUE', `${this.kind} "${this.name}": ${problem}`, { cause });
  }
}

/** @returns the least key after `key` in byte order: `key` followed by a zero byte. */
export function nextKey(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}
