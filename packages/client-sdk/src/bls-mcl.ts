/**
 * BLS12-381 "min-sig" verification (keys on G2, signatures on G1, the IC's scheme) with mcl
 * compiled to WebAssembly (`mcl-wasm`): about 4 ms a signature against about 24 ms for noble.
 *
 * ```
 *  e(signature, −g2) · e(H(message), key) == 1      one Miller loop over both pairs, one final exponentiation
 *        └─ lines of −g2: computed at start          └─ lines of each key: computed once, cached (root and subnet keys)
 * ```
 *
 * H is hash-to-curve with the IC's domain separation tag (`…_SSWU_RO_NUL_`; mcl's default is
 * `…_POP_`, so the tag is set at start). Points are subgroup-checked as they are read, so a key is
 * checked once, when it is prepared. Before it verifies anything the verifier checks itself against
 * a known answer (a signature noble made): an mcl-wasm that hashes or pairs differently fails to
 * start rather than giving other verdicts than noble.
 *
 * {@link startMclBls} and {@link serveBlsRequests} reference nothing outside their own bodies: a
 * Node worker thread runs their source text (see `bls-worker-spawn.ts`), so the same code verifies
 * in the calling thread, in a worker thread and in a Web Worker.
 */

/** The part of `mcl-wasm` used here (its `mod` is the WebAssembly instance, which its typings leave out). */
export interface MclWasm {
  init(curve: number): Promise<void>;
  readonly BLS12_381: number;
  readonly IRTF: number;
  setETHserialization(on: boolean): void;
  setMapToMode(mode: number): void;
  verifyOrderG1(on: boolean): void;
  verifyOrderG2(on: boolean): void;
  G1: new () => MclPoint;
  G2: new () => MclPoint;
  PrecomputedG2: new (point: MclPoint) => { destroy(): void };
  neg(point: MclPoint): MclPoint;
  hashAndMapToG1(message: Uint8Array): MclPoint;
  precomputedMillerLoop2(p1: MclPoint, q1: unknown, p2: MclPoint, q2: unknown): { isOne(): boolean };
  finalExp(value: unknown): { isOne(): boolean };
  readonly mod?: { wrapInput?: (fn: unknown, argNum: number) => (input: string) => void; _mclBnG1_setDst?: unknown };
}

interface MclPoint {
  deserialize(bytes: Uint8Array): void;
  isZero(): boolean;
}

/** A started verifier: one per thread, since mcl's settings are global to its instance. */
export interface MclBls {
  /**
   * @param publicKey - a compressed G2 point (96 bytes)
   * @param signature - a compressed G1 point (48 bytes)
   * @returns whether `signature` is the key's signature of `message`; `false` for a key or
   *   signature that is not a point of the right subgroup
   */
  verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean;
}

/**
 * Initialises `mcl` for the IC's BLS scheme and checks it against a known answer.
 * @throws Error when mcl cannot start, cannot take the IC's hash-to-curve tag, or gets the known answer wrong
 */
export async function startMclBls(mcl: MclWasm): Promise<MclBls> {
  const DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';
  // The G2 generator, and a signature of KNOWN_MESSAGE made by noble, compressed.
  const G2_GENERATOR =
    '93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8';
  const KNOWN_KEY =
    '83ff44a500f6577790743113d5e02a350e65ec7ac18c4c2410bd7feddc2cc30c88dcea5d97eb69ae4074e872f4a309e716f55d0c6669fd593760f87b7739dcd24d4e97ddaf60ad456c18b8d5ff0be0a0bf50f17cc1e09e04b342d9bf33e401f0';
  const KNOWN_SIGNATURE = '84580b20d7f1c47f074f57e3950c6d3529784a4398d65189d27d302e0dd0b607b6bc90195f83c6da7f08ddeeb1030f8b';
  const KNOWN_MESSAGE = 'icws known answer';
  /** Keys prepared at once: the root key and the subnet keys of the delegations in use. */
  const KEYS_CACHED = 16;

  const fromHex = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
  const toKey = (bytes: Uint8Array): string => {
    let key = '';
    for (let i = 0; i < bytes.length; i++) key += String.fromCharCode(bytes[i]!);
    return key;
  };

  await mcl.init(mcl.BLS12_381);
  mcl.setETHserialization(true);
  mcl.setMapToMode(mcl.IRTF);
  mcl.verifyOrderG1(true);
  mcl.verifyOrderG2(true);
  const mod = mcl.mod;
  if (typeof mod?.wrapInput !== 'function' || typeof mod._mclBnG1_setDst !== 'function') {
    throw new Error('this mcl-wasm cannot set the domain separation tag of hash-to-curve');
  }
  mod.wrapInput(mod._mclBnG1_setDst, 0)(DST);

  const generator = new mcl.G2();
  generator.deserialize(fromHex(G2_GENERATOR));
  const negatedGeneratorLines = new mcl.PrecomputedG2(mcl.neg(generator));
  const keyLines = new Map<string, { destroy(): void }>();

  /** @returns the Miller-loop lines of `publicKey`, computed on first use; throws when it is not a valid key. */
  const linesOf = (publicKey: Uint8Array): { destroy(): void } => {
    const id = toKey(publicKey);
    let lines = keyLines.get(id);
    if (lines !== undefined) return lines;
    const point = new mcl.G2();
    point.deserialize(publicKey);
    if (point.isZero()) throw new Error('the key is the point at infinity');
    lines = new mcl.PrecomputedG2(point);
    if (keyLines.size >= KEYS_CACHED) {
      const [oldestId, oldest] = keyLines.entries().next().value as [string, { destroy(): void }];
      keyLines.delete(oldestId);
      oldest.destroy();
    }
    keyLines.set(id, lines);
    return lines;
  };

  const verify = (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): boolean => {
    let lines: { destroy(): void };
    const point = new mcl.G1();
    try {
      lines = linesOf(publicKey);
      point.deserialize(signature);
    } catch {
      return false; // not a point, or not of the prime-order subgroup
    }
    if (point.isZero()) return false;
    return mcl.finalExp(mcl.precomputedMillerLoop2(point, negatedGeneratorLines, mcl.hashAndMapToG1(message), lines)).isOne();
  };

  const known = new TextEncoder().encode(KNOWN_MESSAGE);
  const tampered = known.slice();
  tampered[0]! ^= 1;
  if (!verify(fromHex(KNOWN_KEY), fromHex(KNOWN_SIGNATURE), known) || verify(fromHex(KNOWN_KEY), fromHex(KNOWN_SIGNATURE), tampered)) {
    throw new Error('mcl-wasm failed its known-answer test: it does not verify BLS signatures as the IC makes them');
  }
  return { verify };
}

/** A request to a verifier worker. */
export interface BlsRequest {
  id: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
  message: Uint8Array;
}

/** What a verifier worker posts: that it started (or why not), or one verdict. */
export type BlsReply = { started: true; threadId?: number } | { started: false; reason: string } | { id: number; valid: boolean };

/** The two ends of a worker's channel to its parent, as the worker sees them. */
export interface BlsWorkerChannel {
  post(reply: BlsReply): void;
  listen(onRequest: (request: BlsRequest) => void): void;
  threadId?: number;
}

/**
 * The worker's side: starts the verifier, says whether it started, then answers each request with
 * its verdict. Requests that arrive while it starts are answered once it has.
 */
export function serveBlsRequests(channel: BlsWorkerChannel, starting: Promise<MclBls>): void {
  starting.then(
    () => channel.post({ started: true, threadId: channel.threadId }),
    (err: unknown) => channel.post({ started: false, reason: String((err as Error)?.message ?? err) }),
  );
  channel.listen((request) => {
    starting.then(
      (bls) => channel.post({ id: request.id, valid: bls.verify(request.publicKey, request.signature, request.message) }),
      () => undefined, // the parent was told it did not start
    );
  });
}
