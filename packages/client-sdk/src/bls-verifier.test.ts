/**
 * The BLS verifiers: mcl-wasm on a worker thread, mcl-wasm on the calling thread and noble give
 * the same verdicts on the same signatures; the worker's checks run off the calling thread; a
 * verifier that cannot run hands its checks to the next one.
 */
import { threadId } from 'node:worker_threads';
import { generateRootKey, signWithBlsKey } from '../../replica/src/root-key';
import { BackendUnavailableError, type BlsVerifier } from './bls-backend';
import { NobleBlsVerifier } from './bls-noble';
import { FallbackBlsVerifier, sharedBlsVerifier } from './bls-verifier';
import { WasmBlsVerifier } from './bls-wasm-verifier';
import { WorkerBlsVerifier } from './bls-worker-verifier';
import type { BlsWorkerHandle } from './bls-worker-spawn';

const DER_PREFIX_LENGTH = 37;
const rawKey = (der: Uint8Array): Uint8Array => der.subarray(DER_PREFIX_LENGTH);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const flip = (bytes: Uint8Array, at: number): Uint8Array => {
  const copy = new Uint8Array(bytes);
  copy[at]! ^= 0x01;
  return copy;
};

const signer = generateRootKey();
const other = generateRootKey();
const key = rawKey(signer.der);
const message = utf8('a certificate tree, reconstructed');
const signature = signWithBlsKey(signer, message);

/** What each verifier must answer, alike. */
const cases: Array<{ what: string; input: () => [Uint8Array, Uint8Array, Uint8Array]; valid: boolean }> = [
  { what: 'a signature of the message by the key', input: () => [key, signature, message], valid: true },
  { what: 'the same signature of another message', input: () => [key, signature, flip(message, 3)], valid: false },
  { what: 'a signature with one bit changed', input: () => [key, flip(signature, 47), message], valid: false },
  { what: "another key's signature", input: () => [key, signWithBlsKey(other, message), message], valid: false },
  { what: 'the signature under another key', input: () => [rawKey(other.der), signature, message], valid: false },
  { what: 'a key that is not a point', input: () => [new Uint8Array(96).fill(0xab), signature, message], valid: false },
  { what: 'a signature that is not a point', input: () => [key, new Uint8Array(48).fill(0xab), message], valid: false },
  { what: 'a signature of the wrong length', input: () => [key, signature.subarray(0, 40), message], valid: false },
  { what: 'the point at infinity as signature', input: () => [key, Uint8Array.of(0xc0, ...new Uint8Array(47)), message], valid: false },
];

describe('BLS verifiers', () => {
  const verifiers: Array<[string, BlsVerifier]> = [
    ['worker', new WorkerBlsVerifier()],
    ['wasm', new WasmBlsVerifier()],
    ['noble', new NobleBlsVerifier()],
  ];
  afterAll(() => Promise.all(verifiers.map(([, v]) => v.close?.())));

  describe.each(verifiers)('%s', (name, verifier) => {
    it.each(cases)('answers $valid for $what', async ({ input, valid }) => {
      expect(await verifier.verify(...input())).toBe(valid);
      expect(verifier.backend).toBe(name);
    });
  });

  it('give the same verdicts on many signatures checked at once', async () => {
    const inputs = cases.map(({ input }) => input());
    const verdicts = await Promise.all(verifiers.map(([, v]) => Promise.all(inputs.map((input) => v.verify(...input)))));
    expect(verdicts[0]).toEqual(cases.map(({ valid }) => valid));
    expect(verdicts[1]).toEqual(verdicts[0]);
    expect(verdicts[2]).toEqual(verdicts[0]);
  });
});

describe('WorkerBlsVerifier', () => {
  let verifier: WorkerBlsVerifier;
  beforeEach(() => (verifier = new WorkerBlsVerifier()));
  afterEach(() => verifier.close());

  it('verifies on another thread', async () => {
    expect(verifier.state).toBe('idle');
    expect(await verifier.verify(key, signature, message)).toBe(true);
    expect(verifier.state).toBe('running');
    expect(verifier.threadId).toEqual(expect.any(Number));
    expect(verifier.threadId).not.toBe(threadId);
  });

  it("keeps the calling thread's event loop turning while it verifies, where the in-thread verifier holds it", async () => {
    const turnsWhile = async (run: () => Promise<unknown>): Promise<number> => {
      let turns = 0;
      let done = false;
      const spin = (): void => {
        turns++;
        if (!done) setImmediate(spin);
      };
      await verifier.verify(key, signature, message); // both started
      await inThread.verify(key, signature, message);
      setImmediate(spin);
      turns = 0;
      await run();
      done = true;
      return turns;
    };
    const inThread = new WasmBlsVerifier();
    const batch = (v: BlsVerifier) => () => Promise.all(Array.from({ length: 10 }, () => v.verify(key, signature, message)));
    expect(await turnsWhile(batch(inThread))).toBe(0);
    expect(await turnsWhile(batch(verifier))).toBeGreaterThan(0);
  });

  it('starts on warmUp, before the first check', async () => {
    verifier.warmUp();
    expect(verifier.state).toBe('starting');
    await verifier.verify(key, signature, message);
    expect(verifier.state).toBe('running');
  });

  it('reports that it cannot run when the platform has no worker', async () => {
    const none = new WorkerBlsVerifier({ spawn: () => undefined });
    await expect(none.verify(key, signature, message)).rejects.toThrow(BackendUnavailableError);
    expect(none.state).toBe('failed');
  });

  it('hands back the pending checks when its worker fails', async () => {
    const fake = fakeWorker();
    const failing = new WorkerBlsVerifier({ spawn: () => fake.handle });
    const pending = [failing.verify(key, signature, message), failing.verify(key, signature, message)];
    expect(fake.posted).toHaveLength(2);
    fake.fail(new Error('exited with code 1'));
    for (const check of pending) await expect(check).rejects.toThrow("the verifier's worker failed: exited with code 1");
    await expect(failing.verify(key, signature, message)).rejects.toThrow(BackendUnavailableError);
    expect(fake.terminated).toBe(true);
  });

  it('reports that it cannot run when mcl does not start in the worker', async () => {
    const fake = fakeWorker();
    const refused = new WorkerBlsVerifier({ spawn: () => fake.handle });
    const check = refused.verify(key, signature, message);
    fake.reply({ started: false, reason: 'no WebAssembly' });
    await expect(check).rejects.toThrow("mcl-wasm did not start in the verifier's worker: no WebAssembly");
  });

  it('gives up on a worker that does not start in time', async () => {
    jest.useFakeTimers();
    try {
      const fake = fakeWorker();
      const slow = new WorkerBlsVerifier({ spawn: () => fake.handle, startTimeoutMs: 1_000 });
      const check = slow.verify(key, signature, message);
      jest.advanceTimersByTime(1_000);
      await expect(check).rejects.toThrow('did not start within 1000 ms');
    } finally {
      jest.useRealTimers();
    }
  });

  it('holds a Node process open only while checks are pending', async () => {
    const fake = fakeWorker();
    const counted = new WorkerBlsVerifier({ spawn: () => fake.handle });
    const check = counted.verify(key, signature, message);
    expect(fake.alive).toBe(true);
    fake.reply({ started: true });
    fake.reply({ id: fake.posted[0]!.id, valid: true });
    expect(await check).toBe(true);
    expect(fake.alive).toBe(false);
  });
});

describe('FallbackBlsVerifier', () => {
  it('moves to the next verifier when one cannot run, retrying the check there', async () => {
    const made: string[] = [];
    const verifier = new FallbackBlsVerifier([
      () => (made.push('worker'), new WorkerBlsVerifier({ spawn: () => { throw new Error('no Worker'); } })),
      () => (made.push('wasm'), new WasmBlsVerifier(() => Promise.reject(new Error('no WebAssembly')))),
      () => (made.push('noble'), new NobleBlsVerifier()),
    ]);
    expect(await verifier.verify(key, signature, message)).toBe(true);
    expect(await verifier.verify(key, flip(signature, 47), message)).toBe(false);
    expect(made).toEqual(['worker', 'wasm', 'noble']);
    expect(verifier.backend).toBe('noble');
  });

  it('moves on once when many checks fail together', async () => {
    const fake = fakeWorker();
    const made: string[] = [];
    const verifier = new FallbackBlsVerifier([
      () => (made.push('worker'), new WorkerBlsVerifier({ spawn: () => fake.handle })),
      () => (made.push('noble'), new NobleBlsVerifier()),
    ]);
    const checks = Array.from({ length: 5 }, () => verifier.verify(key, signature, message));
    fake.fail(new Error('crashed'));
    expect(await Promise.all(checks)).toEqual([true, true, true, true, true]);
    expect(made).toEqual(['worker', 'noble']);
  });

  it('passes on what is not a failure to run', async () => {
    const verifier = new FallbackBlsVerifier([() => ({ backend: 'broken', verify: () => Promise.reject(new TypeError('a bug')) })]);
    await expect(verifier.verify(key, signature, message)).rejects.toThrow('a bug');
  });
});

describe('sharedBlsVerifier', () => {
  it('is one verifier per name for the whole process, the worker by default', () => {
    expect(sharedBlsVerifier()).toBe(sharedBlsVerifier('worker'));
    expect(sharedBlsVerifier('noble')).toBe(sharedBlsVerifier('noble'));
    expect(sharedBlsVerifier('noble')).not.toBe(sharedBlsVerifier('worker'));
    expect(sharedBlsVerifier('wasm').backend).toBe('wasm');
  });
});

/** A worker that does what the test says. */
function fakeWorker() {
  const state = {
    posted: [] as Array<{ id: number }>,
    alive: false,
    terminated: false,
    onReply: undefined as ((reply: unknown) => void) | undefined,
    onFailure: undefined as ((err: Error) => void) | undefined,
  };
  const handle: BlsWorkerHandle = {
    post: (request) => state.posted.push(request),
    listen(onReply, onFailure) {
      state.onReply = onReply as (reply: unknown) => void;
      state.onFailure = onFailure;
    },
    keepAlive: (on) => (state.alive = on),
    terminate: () => (state.terminated = true),
  };
  return Object.assign(state, {
    handle,
    reply: (reply: unknown) => state.onReply!(reply),
    fail: (err: Error) => state.onFailure!(err),
  });
}
