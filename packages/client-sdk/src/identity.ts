/**
 * `generateRandomIdentity`: a throwaway Ed25519 key for users who need no stable identity.
 *
 * The key pair is made synchronously (the identity is usually passed straight into a config), with
 * `@icp-sdk/core/identity`'s Ed25519 code, then imported into WebCrypto as a non-extractable key and the
 * raw bytes wiped. Every message a client sends is signed, and WebCrypto's native Ed25519 costs a
 * fraction of the pure-JS signer's CPU; the pure-JS signer is kept where WebCrypto has no Ed25519
 * (older browsers). Its
 * `transformRequest` signs calls as `SignIdentity`'s does, with request ids from `./request-id.ts`
 * (the hashes of the fields that repeat from call to call are kept).
 */
import { Endpoint, SignIdentity, type HttpAgentRequest, type PublicKey, type Signature } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { IC_REQUEST_DOMAIN_SEPARATOR, withDomainSeparator } from '@icws/protocol';
import { fastRequestIdOf } from './request-id';

// PKCS#8 PrivateKeyInfo of an Ed25519 key (RFC 8410), followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
const ED25519 = { name: 'Ed25519' } as const;

/**
 * An Ed25519 {@link SignIdentity} that signs with WebCrypto when the platform supports Ed25519 there.
 * @internal exported for tests; use {@link generateRandomIdentity}
 */
export class RandomEd25519Identity extends SignIdentity {
  readonly #publicKey: PublicKey;
  readonly #publicKeyDer: Uint8Array;
  /** Until the WebCrypto key is ready, or for good where WebCrypto lacks Ed25519. */
  #fallback: Ed25519KeyIdentity | undefined;
  readonly #key: Promise<CryptoKey | undefined>;

  /**
   * @param seed - 32 random bytes; wiped once imported
   * @param subtle - the WebCrypto implementation, if any
   */
  constructor(seed: Uint8Array, subtle: SubtleCrypto | undefined) {
    super();
    const fallback = Ed25519KeyIdentity.generate(seed);
    this.#publicKey = fallback.getPublicKey();
    this.#publicKeyDer = this.#publicKey.toDer();
    this.#fallback = fallback;
    this.#key = importSeed(seed, subtle).then((key) => {
      if (key !== undefined) {
        fallback.getKeyPair().secretKey.fill(0);
        this.#fallback = undefined;
      }
      return key;
    });
  }

  /** @returns the DER-wrapped Ed25519 public key. */
  getPublicKey(): PublicKey {
    return this.#publicKey;
  }

  /** @returns the Ed25519 signature of `blob`. */
  async sign(blob: Uint8Array): Promise<Signature> {
    const key = await this.#key;
    if (key === undefined) return this.#fallback!.sign(blob);
    const signature = await globalThis.crypto.subtle.sign(ED25519, key, blob as Uint8Array<ArrayBuffer>);
    return new Uint8Array(signature) as Signature;
  }

  /**
   * Signs a request as `SignIdentity.transformRequest` does: the content, the DER public key, and
   * the signature of `"\x0Aic-request" ++ requestId(content)`.
   * @returns the request with its body replaced by the signed envelope
   */
  override async transformRequest(request: HttpAgentRequest): Promise<unknown> {
    const { body, ...fields } = request;
    const requestId = request.endpoint === Endpoint.Call ? fastRequestIdOf(body) : undefined;
    if (requestId === undefined) return super.transformRequest(request);
    return {
      ...fields,
      body: { content: body, sender_pubkey: this.#publicKeyDer, sender_sig: await this.sign(withDomainSeparator(IC_REQUEST_DOMAIN_SEPARATOR, requestId)) },
    };
  }

  /** @returns whether signatures are made by WebCrypto (`native`) or by pure JavaScript (`js`). */
  async backend(): Promise<'native' | 'js'> {
    return (await this.#key) === undefined ? 'js' : 'native';
  }
}

async function importSeed(seed: Uint8Array, subtle: SubtleCrypto | undefined): Promise<CryptoKey | undefined> {
  if (subtle === undefined) return undefined;
  const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32);
  pkcs8.set(PKCS8_ED25519_PREFIX);
  pkcs8.set(seed, PKCS8_ED25519_PREFIX.length);
  seed.fill(0);
  try {
    return await subtle.importKey('pkcs8', pkcs8, ED25519, false, ['sign']);
  } catch {
    return undefined; // no Ed25519 in this WebCrypto
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * @returns a new random Ed25519 identity, for clients that need no stable identity (anonymous
 *   users). Its key is non-extractable where WebCrypto supports Ed25519 (Node ≥ 20, current
 *   browsers) and lives only as long as the object.
 */
export function generateRandomIdentity(): SignIdentity {
  const seed = globalThis.crypto.getRandomValues(new Uint8Array(32));
  return new RandomEd25519Identity(seed, globalThis.crypto.subtle);
}
