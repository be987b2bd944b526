/** The subnet's keys and the root key's delegation: stable ids, renewal, modes. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cbor, lookup_path, lookupResultToBuffer, type HashTree } from '@icp-sdk/core/agent';
import { TestClock } from './clock';
import { DELEGATION_REFRESH_NS } from './delegation';
import { Replica } from './replica';

type Cert = { tree: HashTree; delegation?: { certificate: Uint8Array } };
const delegationOf = async (replica: Replica) =>
  Cbor.decode<Cert>(new Uint8Array(await replica.certificate({ canisters: [], requestIds: [], subnet: false }))).delegation!.certificate;
const timeOf = (certificate: Uint8Array) => Buffer.from(lookupResultToBuffer(lookup_path(['time'], Cbor.decode<Cert>(new Uint8Array(certificate)).tree))!).toString('hex');

describe('Replica', () => {
  describe('.create', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'icws-subnet-'));
    afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

    it('keeps the subnet key, hence the subnet id, across restarts of one state directory', async () => {
      const first = await Replica.create({ stateDir, signer: 'inline', verifier: 'inline', log: () => undefined });
      await first.close();
      expect(existsSync(join(stateDir, 'subnet-key.secret'))).toBe(true);
      const second = await Replica.create({ stateDir, signer: 'inline', verifier: 'inline', log: () => undefined });
      await second.close();
      expect(second.subnetId.toText()).toBe(first.subnetId.toText());
      expect(second.subnetKey.der).toEqual(first.subnetKey.der);
      expect(second.rootKey.der).toEqual(first.rootKey.der);
    });

    it('refuses an unknown certificate mode, naming the ones there are', async () => {
      await expect(Replica.create({ certificates: 'nested' as 'flat', log: () => undefined })).rejects.toMatchObject({
        code: 'ICWS_ERR_USAGE',
        message: expect.stringContaining("use 'delegated' (the default) or 'flat'"),
      });
    });
  });

  describe('delegation', () => {
    it('is signed once, and again once it is a day old', async () => {
      const clock = new TestClock(1_700_000_000_000);
      const replica = await Replica.create({ clock, signer: 'inline', verifier: 'inline', log: () => undefined });
      try {
        const first = await delegationOf(replica);
        await clock.advance(60_000);
        expect(await delegationOf(replica)).toEqual(first);
        await clock.advance(Number(DELEGATION_REFRESH_NS / 1_000_000n));
        const renewed = await delegationOf(replica);
        expect(timeOf(renewed)).not.toBe(timeOf(first));
      } finally {
        await replica.close();
      }
    });
  });
});
