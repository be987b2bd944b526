import { Cbor, lookup_path, LookupPathStatus, reconstruct as agentReconstruct, type HashTree } from '@icp-sdk/core/agent';
import { formatMessageKey } from '@icws/protocol';
import { Principal } from '@icp-sdk/core/principal';
import { createHash } from 'node:crypto';
import { labeled, leaf, reconstruct } from '../certification';
import { MessageCertification } from './message-certification';

const gateway = Principal.fromText('sqdfl-mr4km-2hfjy-gajqo-xqvh7-hf4mf-nra4i-3it6l-neaw4-soolw-tae');
const utf8 = (s: string) => new TextEncoder().encode(s);
const keyOf = (nonce: number) => formatMessageKey(gateway, BigInt(nonce));
const contentOf = (nonce: number) => utf8(`message ${nonce}`);
const sha = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A canister context whose messages the test commits or rolls back by hand. */
function fakeContext() {
  let commit: Array<() => void> = [];
  let undo: Array<() => void> = [];
  const context = {
    certifiedData: new Uint8Array() as Uint8Array,
    onCommit: (callback: () => void) => void commit.push(callback),
    onRollback: (callback: () => void) => void undo.push(callback),
    setCertifiedData: (data: Uint8Array) => void (context.certifiedData = data),
    commit() {
      const callbacks = commit;
      [commit, undo] = [[], []];
      callbacks.forEach((callback) => callback());
    },
    rollBack() {
      const callbacks = undo.reverse();
      [commit, undo] = [[], []];
      callbacks.forEach((callback) => callback());
    },
  };
  return context;
}

function certificationWith(count: number, ic = fakeContext()): MessageCertification {
  const certification = new MessageCertification(ic);
  for (let n = 0; n < count; n++) certification.add(utf8(keyOf(n)), contentOf(n));
  ic.commit();
  return certification;
}

describe('MessageCertification', () => {
  describe('#certifiedData', () => {
    it('is the root hash of labeled("websocket", key → leaf(sha256(content)))', () => {
      const certification = certificationWith(1);
      const expected = reconstruct(labeled('websocket', labeled(utf8(keyOf(0)), leaf(sha(contentOf(0))))));
      expect(hex(certification.certifiedData())).toBe(hex(expected));
    });

    it('of an empty tree is the hash of labeled("websocket", empty)', () => {
      expect(hex(certificationWith(0).certifiedData())).toBe(hex(reconstruct(labeled('websocket', [0]))));
    });
  });

  describe('staged changes', () => {
    it('apply when the message commits, with one setCertifiedData', () => {
      const ic = fakeContext();
      const setCertifiedData = jest.spyOn(ic, 'setCertifiedData');
      const certification = new MessageCertification(ic);
      for (let n = 0; n < 100; n++) certification.add(utf8(keyOf(n)), contentOf(n));
      certification.remove(utf8(keyOf(0)));
      expect(certification.size).toBe(0);
      ic.commit();
      expect(certification.size).toBe(99);
      expect(setCertifiedData).toHaveBeenCalledTimes(1);
      expect(hex(ic.certifiedData)).toBe(hex(certification.certifiedData()));
    });

    it('are dropped when the message traps, leaving the tree and its root hash as they were', () => {
      const ic = fakeContext();
      const certification = certificationWith(10, ic);
      const before = hex(certification.certifiedData());
      certification.add(utf8(keyOf(10)), contentOf(10));
      certification.remove(utf8(keyOf(3)));
      ic.rollBack();
      expect(hex(certification.certifiedData())).toBe(before);
      certification.add(utf8(keyOf(10)), contentOf(10));
      ic.commit();
      expect(certification.size).toBe(11);
    });

    it('ignore the removal of an unknown key', () => {
      const ic = fakeContext();
      const certification = certificationWith(1, ic);
      certification.remove(utf8('missing'));
      ic.commit();
      expect(certification.size).toBe(1);
    });
  });

  describe('#witness', () => {
    const certification = certificationWith(200);
    const root = certification.certifiedData();

    it('proves each message of a range at ["websocket", key] with the agent lookup', async () => {
      const tree = Cbor.decode<HashTree>(certification.witness(utf8(keyOf(120)), utf8(keyOf(169))));
      expect(hex(await agentReconstruct(tree))).toBe(hex(root));
      for (let n = 120; n < 170; n++) {
        const found = lookup_path(['websocket', keyOf(n)], tree);
        expect(found.status).toBe(LookupPathStatus.Found);
        expect(hex(found.status === LookupPathStatus.Found ? found.value : new Uint8Array())).toBe(hex(sha(contentOf(n))));
      }
    });

    it('reveals no message outside the range', () => {
      const tree = Cbor.decode<HashTree>(certification.witness(utf8(keyOf(10)), utf8(keyOf(12))));
      expect(lookup_path(['websocket', keyOf(9)], tree).status).not.toBe(LookupPathStatus.Found);
      expect(lookup_path(['websocket', keyOf(13)], tree).status).not.toBe(LookupPathStatus.Found);
    });

    it('stays small: O(log n + k) nodes', () => {
      expect(certification.witness(utf8(keyOf(100)), utf8(keyOf(100))).length).toBeLessThan(40 * 32);
    });
  });

});
