/**
 * nodeKeysFromCertificate on a certificate captured from the IC mainnet (test/vectors, checked
 * against the real mainnet root key at its time) and on the embedded replica's certificates,
 * genuine and with a delegation signed again for other canister ranges.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Principal } from '@icp-sdk/core/principal';
import { Replica } from '@icws/replica';
import { canisterIdNear, redelegate } from '../../../test/support/delegations';
import { GatewayError } from './errors';
import { nodeKeysFromCertificate } from './subnet-node-keys';

interface Vector {
  name: string;
  time: string;
  subnetId: string;
  canisterInRange: string;
  canisterOutOfRange: string;
  nodeCount: number;
  hex: string;
}
const vectors = JSON.parse(readFileSync(join(__dirname, '../../../test/vectors/mainnet-certificates.json'), 'utf8')) as { rootKey: string; certificates: Vector[] };
const mainnetRootKey = Uint8Array.from(Buffer.from(vectors.rootKey, 'hex'));
const subnetState = vectors.certificates.find((v) => v.name === 'subnet-state-2023')!;
const bytes = Uint8Array.from(Buffer.from(subnetState.hex, 'hex'));

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('nodeKeysFromCertificate', () => {
  describe('on a mainnet certificate of the subnet state', () => {
    const at = (canisterId: string, options: { certificate?: Uint8Array; nowMs?: number } = {}) =>
      nodeKeysFromCertificate(options.certificate ?? bytes, {
        rootKey: mainnetRootKey,
        canisterId: Principal.fromText(canisterId),
        nowMs: options.nowMs ?? Date.parse(subnetState.time),
      });

    it("reads the subnet's node keys for a canister its delegation covers", async () => {
      const { subnetId, nodeKeys } = await at(subnetState.canisterInRange);
      expect(subnetId).toBe(subnetState.subnetId);
      expect(nodeKeys.size).toBe(subnetState.nodeCount);
      for (const der of nodeKeys.values()) expect(der).toHaveLength(44);
    });

    it("says which canisters the delegation's ranges hold", async () => {
      const { covers } = await at(subnetState.canisterInRange);
      expect(covers(Principal.fromText(subnetState.canisterInRange))).toBe(true);
      expect(covers(Principal.fromText(subnetState.canisterOutOfRange))).toBe(false);
    });

    it('refuses it for a canister outside the delegation', async () => {
      const err = await failure(at(subnetState.canisterOutOfRange));
      expect(err.code).toBe('ICWS_ERR_NODE_KEYS');
      expect(err.message).toContain(`the certificate's delegation from subnet ${subnetState.subnetId} does not cover canister ${subnetState.canisterOutOfRange}`);
    });

    it('refuses it with a byte changed, and once it is old', async () => {
      const tampered = new Uint8Array(bytes);
      tampered[Buffer.from(bytes).indexOf(Buffer.from('302a300506032b6570', 'hex')) + 20]! ^= 0x01; // inside a node key
      expect((await failure(at(subnetState.canisterInRange, { certificate: tampered }))).message).toContain('does not verify against the root key');
      const old = await failure(at(subnetState.canisterInRange, { nowMs: Date.parse(subnetState.time) + 6 * 60_000 }));
      expect(old.code).toBe('ICWS_ERR_NODE_KEYS');
      expect(old.message).toContain('more than the 5 minutes allowed');
    });
  });

  describe("on the embedded replica's certificates", () => {
    let replica: Replica;
    let canisterId: Principal;
    let certificate: Uint8Array;
    beforeAll(async () => {
      replica = await Replica.create({ signer: 'inline', verifier: 'inline', log: () => undefined });
      canisterId = replica.install('counter', (await import('../../../examples/counter/canister')).default);
      certificate = await replica.certificate({ canisters: [], requestIds: [], subnet: true });
    });
    afterAll(() => replica.close());
    const read = (bytes: Uint8Array) => nodeKeysFromCertificate(bytes, { rootKey: replica.rootKey.der, canisterId, nowMs: Date.now() });

    it('reads the node key under the delegated subnet', async () => {
      const { subnetId, nodeKeys } = await read(certificate);
      expect(subnetId).toBe(replica.subnetId.toText());
      expect([...nodeKeys.keys()]).toEqual([replica.nodeKey.nodeId.toText()]);
      expect(nodeKeys.get(replica.nodeKey.nodeId.toText())).toEqual(replica.nodeKey.publicKeyDer);
    });

    it.each(['both', 'older', 'newer'] as const)("says which canisters the delegation's ranges hold (%s layout)", async (layout) => {
      const { covers } = await read(redelegate(certificate, replica.rootKey, [[canisterId, canisterIdNear(canisterId, 2)]], layout));
      expect([-1, 0, 1, 2, 3].map((offset) => covers(canisterIdNear(canisterId, offset)))).toEqual([false, true, true, true, false]);
    });

    it('refuses a delegation re-signed for ranges without the canister', async () => {
      const err = await failure(read(redelegate(certificate, replica.rootKey, [[canisterIdNear(canisterId, 1), canisterIdNear(canisterId, 9)]], 'older')));
      expect(err.code).toBe('ICWS_ERR_NODE_KEYS');
      expect(err.message).toContain(`does not cover canister ${canisterId.toText()}`);
    });
  });
});
