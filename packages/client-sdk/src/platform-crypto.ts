/**
 * Node's native crypto, where the SDK runs in Node. A client signs every message it sends and
 * hashes what it signs and receives: Node's one-shot SHA-256 is several times faster than
 * JavaScript for the short inputs hashed here, and its synchronous Ed25519 signature costs less CPU
 * than WebCrypto's, which hands each signature to the thread pool and back. In browsers there is no
 * such module: callers keep WebCrypto and `@noble/hashes`.
 */
import { nodeRequire } from './build-locations';

/** The part of `node:crypto` used here. */
export interface NativeCrypto {
  /** SHA-256 of `data`. */
  sha256(data: Uint8Array): Uint8Array;
  /** @returns a synchronous Ed25519 signer for a WebCrypto key, or `undefined` when the key cannot be used so */
  ed25519Signer(key: CryptoKey): ((data: Uint8Array) => Uint8Array) | undefined;
}

let native: NativeCrypto | null | undefined;

/** @returns Node's native crypto, or `undefined` outside Node (then use WebCrypto or JavaScript). @internal */
export function nativeCrypto(): NativeCrypto | undefined {
  if (native === undefined) native = loadNative() ?? null;
  return native ?? undefined;
}

function loadNative(): NativeCrypto | undefined {
  let crypto: typeof import('node:crypto');
  try {
    const require = nodeRequire();
    if (require === undefined) return undefined;
    crypto = require('node:crypto') as typeof import('node:crypto');
  } catch {
    return undefined;
  }
  const { createHash, KeyObject, sign } = crypto;
  return {
    sha256: (data) => asUint8Array(createHash('sha256').update(data).digest()),
    ed25519Signer(key) {
      let keyObject: import('node:crypto').KeyObject;
      try {
        // the key stays non-extractable for its holders; Node signs with the key it wraps
        keyObject = KeyObject.from(key);
      } catch {
        return undefined;
      }
      if (keyObject.type !== 'private' || keyObject.asymmetricKeyType !== 'ed25519') return undefined;
      return (data) => asUint8Array(sign(null, data, keyObject));
    },
  };
}

/** A Buffer as a plain Uint8Array over the same bytes (encoders and `instanceof` checks see no Buffer). */
function asUint8Array(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
