/**
 * MessageVerifier against real certificates: an in-process replica certifies messages the way an
 * IC WebSocket canister does; every byte a gateway could change is changed once.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { Replica, TestClock } from '@icws/replica';
import type { CanisterToClientMessage } from '@icws/protocol';
import certifiedMessages, { certify } from '../../../test/support/certified-messages-canister';
import { MessageVerifier } from './certification';
import { IcWebSocketError } from './errors';

const caller = Ed25519KeyIdentity.generate().getPrincipal();
const utf8 = new TextEncoder();
let replica: Replica;
let canisterId: Principal;
let otherCanisterId: Principal;
let batch: CanisterToClientMessage[];

const keys = ['gw_00000000000000000000', 'gw_00000000000000000001', 'gw_00000000000000000002'];

beforeAll(async () => {
  replica = await Replica.create({ signer: 'inline', log: () => undefined });
  canisterId = replica.install('messages', certifiedMessages);
  otherCanisterId = replica.install('other', certifiedMessages);
  const entries = keys.map((key, i) => ({ key, content: utf8.encode(`message ${i}`) }));
  const { cert, tree } = await certify(replica, canisterId, caller, entries);
  batch = entries.map(({ key, content }) => ({ key, content, cert, tree }));
});
afterAll(() => replica.close());

function verifier(options: Partial<ConstructorParameters<typeof MessageVerifier>[0]> = {}): MessageVerifier {
  return new MessageVerifier({ canisterId, rootKey: async () => replica.rootKey.der, maxCertificateAgeInMinutes: 5, sharedCache: false, ...options });
}

async function failure(promise: Promise<unknown>): Promise<IcWebSocketError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IcWebSocketError);
  return err as IcWebSocketError;
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[at < 0 ? copy.length + at : at]! ^= 0x01;
  return copy;
}

describe('MessageVerifier', () => {
  describe('#verify', () => {
    it('accepts every message of a certified batch, verifying the certificate once', async () => {
      const v = verifier();
      for (const message of batch) await v.verify(message);
      await Promise.all(batch.map((m) => v.verify(m)));
      expect(v.verifications).toBe(1);
    });

    it("accepts each message of one poll's tree for many clients, and only under its own key", async () => {
      const many = Array.from({ length: 100 }, (_, i) => ({ key: `gw_${String(i).padStart(20, '0')}`, content: utf8.encode(`for client ${i}`) }));
      const { cert, tree } = await certify(replica, canisterId, caller, many);
      const v = verifier();
      for (const { key, content } of [...many].reverse()) await v.verify({ key, content, cert, tree });
      expect(v.verifications).toBe(1);
      expect((await failure(v.verify({ key: many[7]!.key, content: many[8]!.content, cert, tree }))).code).toBe('ICWS_ERR_INVALID_CONTENT');
      const absent = await failure(v.verify({ key: 'gw_00000000000000000100', content: many[0]!.content, cert, tree }));
      expect(absent.message).toBe('the certified tree has no message at websocket/gw_00000000000000000100');
    });

    it('verifies each distinct certificate once', async () => {
      const v = verifier();
      await v.verify(batch[0]!);
      const next = await certify(replica, canisterId, caller, [{ key: keys[0]!, content: batch[0]!.content }]);
      await v.verify({ ...batch[0]!, ...next });
      await v.verify({ ...batch[0]!, ...next });
      expect(v.verifications).toBe(2);
      // the first batch's certificate is still valid for its own tree
      await v.verify(batch[1]!);
      expect(v.verifications).toBe(2);
    });

    it('shares verified certificates with the other clients of the canister in the process', async () => {
      const first = verifier({ sharedCache: true });
      const second = verifier({ sharedCache: true });
      const fresh = await certify(replica, canisterId, caller, [{ key: keys[2]!, content: batch[2]!.content }]);
      await Promise.all([first.verify({ ...batch[2]!, ...fresh }), second.verify({ ...batch[2]!, ...fresh })]);
      expect(first.verifications + second.verifications).toBe(1);
      const other = await Replica.create({ signer: 'inline', log: () => undefined });
      try {
        // not under another root key
        const third = verifier({ sharedCache: true, rootKey: async () => other.rootKey.der });
        expect((await failure(third.verify({ ...batch[2]!, ...fresh }))).code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
      } finally {
        await other.close();
      }
    });

    it('refuses a certificate with a changed signature', async () => {
      const err = await failure(verifier().verify({ ...batch[0]!, cert: flip(batch[0]!.cert, -1) }));
      expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
      expect(err.kind).toBe('trust');
      expect(err.message).toContain('does not verify against the root key');
    });

    it('refuses a certificate whose tree was changed', async () => {
      const cert = batch[0]!.cert;
      // the certificate's tree ends with the time leaf's bytes, before the signature: change a byte inside the tree
      const err = await failure(verifier().verify({ ...batch[0]!, cert: flip(cert, Math.floor(cert.length / 3)) }));
      expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
    });

    it('refuses a certificate signed by another root key', async () => {
      const other = await Replica.create({ signer: 'inline', log: () => undefined });
      try {
        const err = await failure(verifier({ rootKey: async () => other.rootKey.der }).verify(batch[0]!));
        expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
      } finally {
        await other.close();
      }
    });

    it("refuses another canister's certified messages", async () => {
      // a data certificate reveals the certified data of the canister that asked for it only
      const err = await failure(verifier({ canisterId: otherCanisterId }).verify(batch[0]!));
      expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
      expect(err.message).toContain(`no certified data of canister ${otherCanisterId.toText()}`);
    });

    it("refuses a certificate whose delegation does not cover the canister", async () => {
      const err = await failure(verifier({ canisterId: Principal.fromText('aaaaa-aa') }).verify(batch[0]!));
      expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
      expect(err.message).toContain(`the delegation to subnet ${replica.subnetId.toText()} does not cover canister aaaaa-aa`);
    });

    it('refuses a certificate without data of the canister', async () => {
      const flat = await Replica.create({ signer: 'inline', certificates: 'flat', log: () => undefined });
      try {
        const id = flat.install('messages', certifiedMessages);
        const { cert, tree } = await certify(flat, id, caller, [{ key: keys[0]!, content: batch[0]!.content }]);
        const v = verifier({ canisterId: Principal.fromText('aaaaa-aa'), rootKey: async () => flat.rootKey.der });
        const err = await failure(v.verify({ key: keys[0]!, content: batch[0]!.content, cert, tree }));
        expect(err.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
        expect(err.message).toContain('no certified data of canister aaaaa-aa');
      } finally {
        await flat.close();
      }
    });

    it('refuses a tree that is not the certified one', async () => {
      const err = await failure(verifier().verify({ ...batch[0]!, tree: flip(batch[0]!.tree, -1) }));
      expect(err.code).toBe('ICWS_ERR_INVALID_TREE');
      expect(err.message).toContain("differs from the canister's certified data");
    });

    it('refuses bytes that are not a tree', async () => {
      const err = await failure(verifier().verify({ ...batch[0]!, tree: Uint8Array.of(1, 2, 3) }));
      expect(err.code).toBe('ICWS_ERR_INVALID_TREE');
    });

    it('refuses changed content', async () => {
      const err = await failure(verifier().verify({ ...batch[0]!, content: utf8.encode('message 9') }));
      expect(err.code).toBe('ICWS_ERR_INVALID_CONTENT');
      expect(err.message).toBe(`the content of message ${keys[0]} is not the content the canister certified (SHA-256 differs)`);
    });

    it("refuses a message under another message's key", async () => {
      const err = await failure(verifier().verify({ ...batch[0]!, key: keys[1]! }));
      expect(err.code).toBe('ICWS_ERR_INVALID_CONTENT');
    });

    it('refuses a key the tree does not hold', async () => {
      const err = await failure(verifier().verify({ ...batch[0]!, key: 'gw_00000000000000000009' }));
      expect(err.code).toBe('ICWS_ERR_INVALID_CONTENT');
      expect(err.message).toBe('the certified tree has no message at websocket/gw_00000000000000000009');
    });

    it('still refuses a tampered message after its certificate was cached', async () => {
      const v = verifier();
      await v.verify(batch[0]!);
      expect((await failure(v.verify({ ...batch[1]!, content: utf8.encode('forged') }))).code).toBe('ICWS_ERR_INVALID_CONTENT');
      expect((await failure(v.verify({ ...batch[1]!, tree: flip(batch[1]!.tree, -2) }))).code).toBe('ICWS_ERR_INVALID_TREE');
      expect((await failure(v.verify({ ...batch[1]!, cert: flip(batch[1]!.cert, -3) }))).code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
    });

    it('refuses a certificate older than maxCertificateAgeInMinutes', async () => {
      const clock = new TestClock(Date.now() - 10 * 60_000);
      const old = await Replica.create({ signer: 'inline', clock, log: () => undefined });
      try {
        const id = old.install('messages', certifiedMessages);
        const { cert, tree } = await certify(old, id, caller, [{ key: keys[0]!, content: batch[0]!.content }]);
        const v = new MessageVerifier({ canisterId: id, rootKey: async () => old.rootKey.der, maxCertificateAgeInMinutes: 5 });
        const err = await failure(v.verify({ key: keys[0]!, content: batch[0]!.content, cert, tree }));
        expect(err.code).toBe('ICWS_ERR_CERTIFICATE_TOO_OLD');
        expect(err.message).toContain('more than 5 minutes in the past');
      } finally {
        await old.close();
      }
    });

    it('refuses a cached certificate once it has grown too old', async () => {
      let now = Date.now();
      const v = verifier({ now: () => now });
      await v.verify(batch[0]!);
      now += 6 * 60_000;
      const err = await failure(v.verify(batch[1]!));
      expect(err.code).toBe('ICWS_ERR_CERTIFICATE_TOO_OLD');
      expect(err.message).toMatch(/signed \d+ s ago, more than the 5 minutes allowed/);
    });

    it('reports a root key that cannot be had', async () => {
      const v = verifier({ rootKey: () => Promise.reject(new IcWebSocketError('ICWS_ERR_ROOT_KEY_UNAVAILABLE', 'no status')) });
      expect((await failure(v.verify(batch[0]!))).code).toBe('ICWS_ERR_ROOT_KEY_UNAVAILABLE');
    });
  });
});
