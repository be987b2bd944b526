/**
 * verifyCertificate on certificates captured from the IC mainnet (test/vectors, checked against the
 * real mainnet root key at their own time) and on certificates of the embedded replica whose
 * delegation was signed again for other canister ranges.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cbor, type HashTree } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { Replica } from '@icws/replica';
import certifiedMessages, { certify } from '../../../test/support/certified-messages-canister';
import { canisterIdNear, redelegate, type RangesLayout } from '../../../test/support/delegations';
import { canisterRangesOf, verifyCertificate } from './certificate';
import { IcWebSocketError } from './errors';

interface Vector {
  name: string;
  time: string;
  subnetId: string;
  ranges: Array<[string, string]>;
  canisterInRange: string;
  canisterOutOfRange?: string;
  hex: string;
}
const vectors = JSON.parse(readFileSync(join(__dirname, '../../../test/vectors/mainnet-certificates.json'), 'utf8')) as { rootKey: string; certificates: Vector[] };
const mainnetRootKey = Uint8Array.from(Buffer.from(vectors.rootKey, 'hex'));
const vector = (name: string): Vector => vectors.certificates.find((v) => v.name === name)!;
const bytesOf = (v: Vector): Uint8Array => Uint8Array.from(Buffer.from(v.hex, 'hex'));

async function failure(promise: Promise<unknown>): Promise<IcWebSocketError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(IcWebSocketError);
  return err as IcWebSocketError;
}

function verifyAt(v: Vector, canisterId: string, options: { bytes?: Uint8Array; nowMs?: number; rootKey?: Uint8Array } = {}) {
  return verifyCertificate(options.bytes ?? bytesOf(v), {
    rootKey: options.rootKey ?? mainnetRootKey,
    canisterId: Principal.fromText(canisterId),
    nowMs: options.nowMs ?? Date.parse(v.time),
    maxAgeInMinutes: 5,
  });
}

describe('verifyCertificate', () => {
  describe('on mainnet certificates', () => {
    it.each(['request-status-2022', 'subnet-state-2023'])('accepts %s at its time, for canisters at both ends of its range', async (name) => {
      const v = vector(name);
      const [first, last] = v.ranges[0]!;
      for (const canister of [v.canisterInRange, first, last]) {
        const verified = await verifyAt(v, canister);
        expect(verified.subnetId?.toText()).toBe(v.subnetId);
        expect(verified.timeMs).toBe(Date.parse(v.time));
      }
    });

    it.each(['request-status-2022', 'subnet-state-2023'])('refuses %s for a canister outside its delegation', async (name) => {
      const v = vector(name);
      const [first, last] = v.ranges[0]!;
      const outside = [v.canisterOutOfRange!, canisterIdNear(Principal.fromText(first), -1).toText(), canisterIdNear(Principal.fromText(last), 1).toText()];
      for (const canister of outside) {
        const err = await failure(verifyAt(v, canister));
        expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
        expect(err.message).toContain(`the delegation to subnet ${v.subnetId} does not cover canister ${canister} (its canister ranges: ${first}–${last})`);
      }
    });

    it('refuses a subnet certificate whose delegation holds no canister ranges', async () => {
      const v = vector('subnet-read-state-2025');
      const err = await failure(verifyAt(v, v.canisterInRange));
      expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
      expect(err.message).toContain(`the delegation to subnet ${v.subnetId} holds no canister ranges`);
    });

    it('reads the newer layout of canister ranges, canister_ranges/<subnet id>/<shard>, as mainnet serves it', () => {
      const v = vector('subnet-read-state-2025');
      const { tree } = Cbor.decode<{ tree: HashTree }>(bytesOf(v));
      const ranges = canisterRangesOf(tree, Principal.fromText(v.subnetId)).map(([a, b]) => [a.toText(), b.toText()]);
      expect(ranges).toEqual(v.ranges);
    });

    it('refuses a certificate with any byte of its signature, tree or delegation changed', async () => {
      const v = vector('request-status-2022');
      const bytes = bytesOf(v);
      const cert = Cbor.decode<{ delegation: { certificate: Uint8Array } }>(bytes);
      const inner = Buffer.from(bytes).indexOf(Buffer.from(cert.delegation.certificate));
      const positions = {
        // the signature's 48 bytes lie just before the key `delegation`
        'outer signature': Buffer.from(bytes).indexOf(Buffer.from('delegation')) - 10,
        'reject message in the tree': Buffer.from(bytes).indexOf(Buffer.from('has no update method')) + 2,
        'subnet key in the delegation': Buffer.from(bytes).indexOf(Buffer.from('308182301d', 'hex'), inner) + 100,
        'delegation signature': inner + cert.delegation.certificate.length - 5,
      };
      for (const [what, at] of Object.entries(positions)) {
        const tampered = new Uint8Array(bytes);
        tampered[at]! ^= 0x01;
        const err = await failure(verifyAt(v, v.canisterInRange, { bytes: tampered }));
        expect([what, err.code]).toEqual([what, 'ICWS_ERR_INVALID_CERTIFICATE']);
        expect(err.message).toMatch(/does not verify against|not a DER BLS/);
      }
    });

    it('refuses a mainnet certificate under another root key', async () => {
      const v = vector('request-status-2022');
      const other = new Uint8Array(mainnetRootKey);
      other[other.length - 1]! ^= 0x01;
      const err = await failure(verifyAt(v, v.canisterInRange, { rootKey: other }));
      expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
      expect(err.message).toContain('delegation certificate of subnet');
    });

    it('refuses a mainnet certificate once it is older than the limit', async () => {
      const v = vector('request-status-2022');
      const err = await failure(verifyAt(v, v.canisterInRange, { nowMs: Date.parse(v.time) + 6 * 60_000 }));
      expect(err.code).toBe('ICWS_ERR_CERTIFICATE_TOO_OLD');
      expect(err.message).toContain('more than 5 minutes in the past');
    });
  });

  describe('on certificates of the embedded replica', () => {
    const caller = Ed25519KeyIdentity.generate().getPrincipal();
    let replica: Replica;
    let canisterId: Principal;
    let cert: Uint8Array;
    beforeAll(async () => {
      replica = await Replica.create({ signer: 'inline', log: () => undefined });
      canisterId = replica.install('messages', certifiedMessages);
      ({ cert } = await certify(replica, canisterId, caller, [{ key: 'gw_00000000000000000000', content: Uint8Array.of(1) }]));
    });
    afterAll(() => replica.close());

    const verify = (bytes: Uint8Array, id = canisterId) =>
      verifyCertificate(bytes, { rootKey: replica.rootKey.der, canisterId: id, nowMs: Date.now(), maxAgeInMinutes: 5 });

    it("accepts the replica's delegated certificate, signed by its subnet", async () => {
      expect((await verify(cert)).subnetId?.toText()).toBe(replica.subnetId.toText());
    });

    it.each<RangesLayout>(['older', 'newer', 'both'])('accepts a delegation covering the canister with its ranges in the %s layout', async (layout) => {
      const resigned = redelegate(cert, replica.rootKey, [[canisterIdNear(canisterId, -5), canisterIdNear(canisterId, 5)]], layout);
      expect((await verify(resigned)).subnetId?.toText()).toBe(replica.subnetId.toText());
    });

    it.each<RangesLayout>(['older', 'newer', 'both'])('refuses a delegation re-signed for ranges without the canister (%s layout)', async (layout) => {
      const ranges = [[canisterIdNear(canisterId, 1), canisterIdNear(canisterId, 1000)]] as const;
      const err = await failure(verify(redelegate(cert, replica.rootKey, ranges, layout)));
      expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
      expect(err.message).toContain(`does not cover canister ${canisterId.toText()}`);
    });

    it('refuses a delegation signed by another root key', async () => {
      const other = await Replica.create({ signer: 'inline', log: () => undefined });
      try {
        const resigned = redelegate(cert, other.rootKey, [[canisterId, canisterId]]);
        const err = await failure(verify(resigned));
        expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
        expect(err.message).toContain('does not verify against the root key');
      } finally {
        await other.close();
      }
    });
  });
});
