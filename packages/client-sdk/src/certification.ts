/**
 * Verification of the messages a gateway relays: nothing it sends is believed unless the replica's
 * root key vouches for it.
 *
 * ```
 *  root key ──verifies──▶ cert (BLS signature over its tree, by the root key or by a subnet key
 *                           │   the root key delegated to, for the canister's range; time not
 *                           │   older than the limit; see ./certificate.ts)
 *                           └─ canister/<id>/certified_data ══ reconstruct(tree)
 *                                                              └─ websocket/<key> ══ sha256(content)
 * ```
 *
 * All the messages of one poll share one certificate and one tree, and a BLS verification costs
 * milliseconds (see ./bls-verifier.ts), so each distinct certificate is verified once and each
 * distinct tree reconstructed once (under its certificate); both are cached by their exact bytes,
 * compared in full on every lookup (a gateway that changes one byte gets a cache miss and a fresh
 * verification). A cached certificate is still checked for age on each use.
 * The caches are shared by every verifier of the same canister under the same root key in the
 * process: the clients of one gateway receive the same certificates, and a Node process holding
 * many connections (a bot, a load test, a server) verifies each one once, not once per client.
 */
import {
  Cbor,
  flatten_forks,
  hashValue,
  lookup_path,
  lookup_subtree,
  LookupPathStatus,
  LookupSubtreeStatus,
  NodeType,
  reconstruct,
  type HashTree,
} from '@icp-sdk/core/agent';
import type { Principal } from '@icp-sdk/core/principal';
import { CERTIFICATION_LABEL, equalBytes, type CanisterToClientMessage } from '@icws/protocol';
import type { BlsVerifier } from './bls-backend';
import { sharedBlsVerifier } from './bls-verifier';
import { verifyCertificate } from './certificate';
import { describeError, IcWebSocketError, IcWebSocketErrorCode as Code } from './errors';

/** Options of {@link MessageVerifier}. */
export interface MessageVerifierOptions {
  /** The canister whose certified data must cover the messages. */
  canisterId: Principal;
  /** Gives the root key (possibly fetched). */
  rootKey: () => Promise<Uint8Array>;
  /** Oldest certificate accepted, in minutes. */
  maxCertificateAgeInMinutes: number;
  /** Current time in milliseconds since the epoch; injectable for tests. @default Date.now */
  now?: () => number;
  /** Whether to use the process-wide caches (see the module comment). @default true */
  sharedCache?: boolean;
  /** Checks the certificates' BLS signatures. @default sharedBlsVerifier() (mcl-wasm on a worker) */
  blsVerifier?: BlsVerifier;
}

/** What the verification of a relayed message established about it. */
export interface CertifiedMessage {
  /** When the replica signed the message's certificate, ms since the epoch. */
  certificateTimeMs: number;
}

/** A certificate being (or having been) verified, with the trees checked against it. */
interface CertificateEntry {
  verified: Promise<VerifiedCertificate>;
  trees: BytesCache<Promise<CheckedTree>>;
}

/**
 * A tree checked against its certificate, with its message leaves by key: one poll's tree carries
 * the messages of every client of the gateway, and a lookup by path walks the labels one by one.
 */
interface CheckedTree {
  tree: HashTree;
  /** The leaves under `websocket`, by message key; `undefined` when the tree has none or repeats a label. */
  leaves: Map<string, Uint8Array> | undefined;
}

/** Caches of one canister under one root key. */
interface Caches {
  certificates: BytesCache<CertificateEntry>;
}

const CERTIFICATES_CACHED = 32;
const TREES_CACHED_PER_CERTIFICATE = 8;
/** Per canister and root key; few in any process. */
const sharedCaches = new Map<string, Caches>();

/** What a verified certificate tells. */
interface VerifiedCertificate {
  /** The canister's certified data. */
  certifiedData: Uint8Array;
  /** When the replica signed it, ms since the epoch. */
  timeMs: number;
}

/** Checks that relayed messages are certified by the canister; see the module comment. */
export class MessageVerifier {
  readonly #canisterId: Principal;
  readonly #certifiedDataPath: [string, Uint8Array, string];
  readonly #rootKey: () => Promise<Uint8Array>;
  readonly #maxAgeMs: number;
  readonly #maxAgeInMinutes: number;
  readonly #now: () => number;
  readonly #sharedCache: boolean;
  readonly #blsVerifier: BlsVerifier;
  #caches: Promise<Caches & { rootKey: Uint8Array }> | undefined;
  /** Certificates this verifier checked with BLS so far (cache misses), for tests and benchmarks. */
  verifications = 0;

  constructor(options: MessageVerifierOptions) {
    this.#canisterId = options.canisterId;
    this.#certifiedDataPath = ['canister', options.canisterId.toUint8Array(), 'certified_data'];
    this.#rootKey = options.rootKey;
    this.#maxAgeInMinutes = options.maxCertificateAgeInMinutes;
    this.#maxAgeMs = options.maxCertificateAgeInMinutes * 60_000;
    this.#now = options.now ?? Date.now;
    this.#sharedCache = options.sharedCache ?? true;
    this.#blsVerifier = options.blsVerifier ?? sharedBlsVerifier();
    // the worker and its WebAssembly start while the connection opens, not when its first message arrives
    this.#blsVerifier.warmUp?.();
  }

  /**
   * Verifies that the canister certified `message.content` under `message.key`.
   * @returns what the certificate tells about the message
   * @throws {IcWebSocketError} `ICWS_ERR_INVALID_CERTIFICATE`, `ICWS_ERR_CERTIFICATE_TOO_OLD`,
   *   `ICWS_ERR_INVALID_TREE` or `ICWS_ERR_INVALID_CONTENT`, naming what does not match;
   *   `ICWS_ERR_ROOT_KEY_UNAVAILABLE` when the root key cannot be had
   */
  async verify(message: CanisterToClientMessage): Promise<CertifiedMessage> {
    const caches = await this.#cachesOnce();
    const entry = this.#certificate(caches, message.cert);
    const certificate = await entry.verified;
    const age = this.#now() - certificate.timeMs;
    if (age > this.#maxAgeMs) {
      throw new IcWebSocketError(
        Code.CERTIFICATE_TOO_OLD,
        `the certificate of message ${message.key} was signed ${Math.round(age / 1000)} s ago, more than the ${this.#maxAgeInMinutes} minutes allowed (maxCertificateAgeInMinutes)`,
      );
    }
    const checked = await treeOf(entry, certificate, message.tree);
    const leaf = checked.leaves?.get(message.key) ?? lookupLeaf(checked.tree, message.key);
    if (leaf === undefined) {
      throw new IcWebSocketError(Code.INVALID_CONTENT, `the certified tree has no message at ${CERTIFICATION_LABEL}/${message.key}`);
    }
    if (!equalBytes(hashValue(message.content), leaf)) {
      throw new IcWebSocketError(Code.INVALID_CONTENT, `the content of message ${message.key} is not the content the canister certified (SHA-256 differs)`);
    }
    return { certificateTimeMs: certificate.timeMs };
  }

  /** @returns the caches for this canister and root key (the root key may have to be fetched first). */
  #cachesOnce(): Promise<Caches & { rootKey: Uint8Array }> {
    this.#caches ??= this.#rootKey().then(
      (rootKey) => {
        const fresh = (): Caches => ({ certificates: new BytesCache(CERTIFICATES_CACHED) });
        if (!this.#sharedCache) return { rootKey, ...fresh() };
        const scope = `${this.#canisterId.toText()} ${Array.from(rootKey, (b) => b.toString(16).padStart(2, '0')).join('')}`;
        let caches = sharedCaches.get(scope);
        if (caches === undefined) sharedCaches.set(scope, (caches = fresh()));
        return { rootKey, ...caches };
      },
      (err: unknown) => {
        this.#caches = undefined; // try again next time
        throw err;
      },
    );
    return this.#caches;
  }

  #certificate(caches: Caches & { rootKey: Uint8Array }, bytes: Uint8Array): CertificateEntry {
    const { certificates } = caches;
    let entry = certificates.get(bytes);
    if (entry === undefined) {
      entry = { verified: this.#verifyCertificate(caches.rootKey, bytes), trees: new BytesCache(TREES_CACHED_PER_CERTIFICATE) };
      certificates.set(bytes, entry);
      entry.verified.catch(() => certificates.delete(bytes));
    }
    return entry;
  }

  async #verifyCertificate(rootKey: Uint8Array, bytes: Uint8Array): Promise<VerifiedCertificate> {
    this.verifications++;
    const certificate = await verifyCertificate(bytes, {
      rootKey,
      canisterId: this.#canisterId,
      nowMs: this.#now(),
      maxAgeInMinutes: this.#maxAgeInMinutes,
      blsVerifier: this.#blsVerifier,
    });
    const data = lookup_path(this.#certifiedDataPath, certificate.tree);
    if (data.status !== LookupPathStatus.Found || !(data.value instanceof Uint8Array)) {
      throw new IcWebSocketError(Code.INVALID_CERTIFICATE, `the certificate holds no certified data of canister ${this.#canisterId.toText()}`);
    }
    return { certifiedData: data.value, timeMs: certificate.timeMs };
  }
}

/** @returns the tree in `bytes`, checked once against `certificate` (whose entry caches it). */
function treeOf(entry: CertificateEntry, certificate: VerifiedCertificate, bytes: Uint8Array): Promise<CheckedTree> {
  let tree = entry.trees.get(bytes);
  if (tree === undefined) {
    tree = checkTree(certificate, bytes);
    entry.trees.set(bytes, tree);
    tree.catch(() => entry.trees.delete(bytes));
  }
  return tree;
}

async function checkTree(certificate: VerifiedCertificate, bytes: Uint8Array): Promise<CheckedTree> {
  let tree: HashTree;
  let root: Uint8Array;
  try {
    tree = Cbor.decode<HashTree>(bytes);
    root = await reconstruct(tree);
  } catch (cause) {
    throw new IcWebSocketError(Code.INVALID_TREE, `the hash tree of a relayed message is not a hash tree: ${describeError(cause)}`, { cause });
  }
  if (!equalBytes(root, certificate.certifiedData)) {
    throw new IcWebSocketError(Code.INVALID_TREE, "the hash tree of a relayed message is not the one the canister certified (its root hash differs from the canister's certified data)");
  }
  return { tree, leaves: leavesOf(tree) };
}

/** @returns the value of the leaf at `websocket/<key>` in `tree`, if it holds one. */
function lookupLeaf(tree: HashTree, key: string): Uint8Array | undefined {
  const leaf = lookup_path([CERTIFICATION_LABEL, key], tree);
  return leaf.status === LookupPathStatus.Found && leaf.value instanceof Uint8Array ? leaf.value : undefined;
}

const labelDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * @returns the leaves right under `websocket` in a checked tree, by their labels as text: what
 *   {@link lookupLeaf} finds for each of them. `undefined` when there is no such subtree, or its
 *   labels are not in strictly increasing order (not a well-formed tree: lookups are left to the
 *   path walk); labels that are not UTF-8 are left out (no key names them).
 */
function leavesOf(tree: HashTree): Map<string, Uint8Array> | undefined {
  const subtree = lookup_subtree([CERTIFICATION_LABEL], tree);
  if (subtree.status !== LookupSubtreeStatus.Found) return undefined;
  const leaves = new Map<string, Uint8Array>();
  let previous: Uint8Array | undefined;
  for (const node of flatten_forks(subtree.value)) {
    if (node[0] !== NodeType.Labeled) continue;
    const [, label, child] = node;
    if (previous !== undefined && compareBytes(previous, label) >= 0) return undefined;
    previous = label;
    let key: string;
    try {
      key = labelDecoder.decode(label);
    } catch {
      continue;
    }
    if (child[0] === NodeType.Leaf && child[1] instanceof Uint8Array) leaves.set(key, child[1]);
  }
  return leaves;
}

/** Lexicographic order of byte strings, as hash tree labels are sorted. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * A cache keyed by byte strings that forgets its oldest entries beyond `capacity`. Entries are
 * found by a hash of all the bytes and confirmed by comparing every byte, so lookups allocate
 * nothing. (The certificates of a delegated subnet all end with the same delegation, and trees
 * often share their ends: a hash of the last bytes alone would put them all in one bucket.)
 */
class BytesCache<V> {
  readonly #buckets = new Map<number, Array<{ bytes: Uint8Array; value: V }>>();
  /** Insertion order, for eviction. */
  readonly #order: Uint8Array[] = [];

  constructor(private readonly capacity: number) {}

  get(bytes: Uint8Array): V | undefined {
    const bucket = this.#buckets.get(fingerprint(bytes));
    if (bucket !== undefined) for (const entry of bucket) if (equalBytes(entry.bytes, bytes)) return entry.value;
    return undefined;
  }

  set(bytes: Uint8Array, value: V): void {
    const hash = fingerprint(bytes);
    const bucket = this.#buckets.get(hash) ?? [];
    bytes = bytes.slice(); // a copy: the caller's buffer may be reused
    bucket.push({ bytes, value });
    this.#buckets.set(hash, bucket);
    this.#order.push(bytes);
    if (this.#order.length > this.capacity) this.delete(this.#order[0]!);
  }

  delete(bytes: Uint8Array): void {
    const hash = fingerprint(bytes);
    const bucket = this.#buckets.get(hash);
    const index = bucket?.findIndex((entry) => equalBytes(entry.bytes, bytes)) ?? -1;
    if (index < 0) return;
    const [removed] = bucket!.splice(index, 1);
    if (bucket!.length === 0) this.#buckets.delete(hash);
    const at = this.#order.indexOf(removed!.bytes);
    if (at >= 0) this.#order.splice(at, 1);
  }
}

/** FNV-1a over the length and every byte. */
function fingerprint(bytes: Uint8Array): number {
  let hash = (0x811c9dc5 ^ bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}
