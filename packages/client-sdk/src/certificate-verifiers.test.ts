/**
 * Certificates give the same verdicts whichever BLS verifier checks them: mcl-wasm on a worker
 * thread, mcl-wasm on the calling thread, noble. Mainnet certificates (test/vectors, with their
 * delegations) and the embedded replica's, intact and tampered with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cbor } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { Replica } from '@icws/replica';
import type { CanisterToClientMessage } from '@icws/protocol';
import certifiedMessages, { certify } from '../../../test/support/certified-messages-canister';
import { canisterIdNear, redelegate } from '../../../test/support/delegations';
import type { BlsVerifier } from './bls-backend';
import { NobleBlsVerifier } from './bls-noble';
import { WasmBlsVerifier } from './bls-wasm-verifier';
import { WorkerBlsVerifier } from './bls-worker-verifier';
import { verifyCertificate } from './certificate';
import { MessageVerifier } from './certification';
import { IcWebSocketError } from './errors';

interface Vector {
  name: string;
  time: string;
  subnetId: string;
  canisterInRange: string;
  canisterOutOfRange?: string;
  hex: string;
}
const vectors = JSON.parse(readFileSync(join(__dirname, '../../../test/vectors/mainnet-certificates.json'), 'utf8')) as { rootKey: string; certificates: Vector[] };
const mainnetRootKey = Uint8Array.from(Buffer.from(vectors.rootKey, 'hex'));
const mainnet = vectors.certificates.find((v) => v.name === 'request-status-2022')!;
const mainnetBytes = Uint8Array.from(Buffer.from(mainnet.hex, 'hex'));

const flip = (bytes: Uint8Array, at: number): Uint8Array => {
  const copy = new Uint8Array(bytes);
  copy[at < 0 ? copy.length + at : at]! ^= 0x01;
  return copy;
};

/** Where a gateway could change one bit of the mainnet certificate, each of which must be caught. */
function mainnetTamperings(): Array<[string, Uint8Array]> {
  const buffer = Buffer.from(mainnetBytes);
  const { delegation } = Cbor.decode<{ delegation: { certificate: Uint8Array } }>(mainnetBytes);
  const inner = buffer.indexOf(Buffer.from(delegation.certificate));
  return [
    ['its signature', flip(mainnetBytes, buffer.indexOf(Buffer.from('delegation')) - 10)],
    ['its tree', flip(mainnetBytes, buffer.indexOf(Buffer.from('has no update method')) + 2)],
    ["the subnet's key in its delegation", flip(mainnetBytes, buffer.indexOf(Buffer.from('308182301d', 'hex'), inner) + 100)],
    ["its delegation's signature", flip(mainnetBytes, inner + delegation.certificate.length - 5)],
  ];
}

async function failure(promise: Promise<unknown>): Promise<IcWebSocketError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(IcWebSocketError);
  return err as IcWebSocketError;
}

const verifiers: Array<[string, BlsVerifier]> = [
  ['mcl-wasm on a worker thread', new WorkerBlsVerifier()],
  ['mcl-wasm on the calling thread', new WasmBlsVerifier()],
  ['noble', new NobleBlsVerifier()],
];

const caller = Ed25519KeyIdentity.generate().getPrincipal();
let replica: Replica;
let otherRoot: Replica;
let canisterId: Principal;
let message: CanisterToClientMessage;

beforeAll(async () => {
  [replica, otherRoot] = await Promise.all([Replica.create({ signer: 'inline', log: () => undefined }), Replica.create({ signer: 'inline', log: () => undefined })]);
  canisterId = replica.install('messages', certifiedMessages);
  const entry = { key: 'gw_00000000000000000000', content: Uint8Array.of(1, 2, 3) };
  message = { ...entry, ...(await certify(replica, canisterId, caller, [entry])) };
});
afterAll(async () => {
  await Promise.all([replica.close(), otherRoot.close(), ...verifiers.map(([, v]) => v.close?.())]);
});

describe.each(verifiers)('certificates checked by %s', (_name, blsVerifier) => {
  const atItsTime = (bytes: Uint8Array, options: { rootKey?: Uint8Array; canisterId?: string } = {}) =>
    verifyCertificate(bytes, {
      rootKey: options.rootKey ?? mainnetRootKey,
      canisterId: Principal.fromText(options.canisterId ?? mainnet.canisterInRange),
      nowMs: Date.parse(mainnet.time),
      maxAgeInMinutes: 5,
      blsVerifier,
    });
  const messageVerifier = (rootKey = replica.rootKey.der) =>
    new MessageVerifier({ canisterId, rootKey: async () => rootKey, maxCertificateAgeInMinutes: 5, sharedCache: false, blsVerifier });

  it('accepts a mainnet certificate and its delegation', async () => {
    expect((await atItsTime(mainnetBytes)).subnetId?.toText()).toBe(mainnet.subnetId);
  });

  it('refuses a mainnet certificate with one bit changed anywhere a signature covers', async () => {
    for (const [where, tampered] of mainnetTamperings()) {
      const err = await failure(atItsTime(tampered));
      expect([where, err.code]).toEqual([where, 'ICWS_ERR_INVALID_CERTIFICATE']);
      expect(err.message).toMatch(/does not verify against|not a DER BLS/);
    }
  });

  it('refuses a mainnet certificate under another root key', async () => {
    const err = await failure(atItsTime(mainnetBytes, { rootKey: otherRoot.rootKey.der }));
    expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
    expect(err.message).toContain(`the delegation certificate of subnet ${mainnet.subnetId} does not verify against the root key`);
  });

  it('refuses a mainnet certificate for a canister its delegation does not cover', async () => {
    const err = await failure(atItsTime(mainnetBytes, { canisterId: mainnet.canisterOutOfRange }));
    expect(err.message).toContain('does not cover canister');
  });

  it("accepts the replica's certified message", async () => {
    expect(await messageVerifier().verify(message)).toEqual({ certificateTimeMs: expect.any(Number) });
  });

  it("refuses the replica's message with its certificate's signature changed, or under another root key", async () => {
    expect((await failure(messageVerifier().verify({ ...message, cert: flip(message.cert, -1) }))).code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
    expect((await failure(messageVerifier(otherRoot.rootKey.der).verify(message))).code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
  });

  it('refuses a delegation that another root key signed', async () => {
    const resigned = redelegate(message.cert, otherRoot.rootKey, [[canisterIdNear(canisterId, -1), canisterIdNear(canisterId, 1)]]);
    const err = await failure(messageVerifier().verify({ ...message, cert: resigned }));
    expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
    expect(err.message).toContain('does not verify against the root key');
  });
});
