/**
 * A compiled codec writes exactly what IDL.encode writes, reads exactly what IDL.decode reads for
 * its own header, and leaves everything else to IDL.
 */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { CanisterWsGetMessagesResultIdl, CanisterWsMessageArgumentsIdl, WebsocketServiceMessageContentIdl } from './candid';
import { compileCandid } from './compiled-candid';

const alice = Principal.fromText('kj67s-b5v2y-ahlkr-kmume-xbow6-zwbtj-j4j3m-ae46e-qqrcu-uxiby-yae');
const Shape = IDL.Variant({ Circle: IDL.Nat32, Square: IDL.Record({ side: IDL.Nat8 }), Empty: IDL.Null });
const Everything = IDL.Record({
  flag: IDL.Bool,
  count: IDL.Nat,
  small: IDL.Nat16,
  time: IDL.Nat64,
  name: IDL.Text,
  owner: IDL.Principal,
  data: IDL.Vec(IDL.Nat8),
  tags: IDL.Vec(IDL.Text),
  maybe: IDL.Opt(IDL.Opt(IDL.Nat64)),
  shapes: IDL.Vec(Shape),
  nothing: IDL.Null,
});
const everything = {
  flag: true,
  count: 2n ** 70n + 5n,
  small: 65535,
  time: 1_700_000_000_123_456_789n,
  name: 'héllo, wörld — a text longer than forty-two UTF-16 units ✓',
  owner: alice,
  data: Uint8Array.of(1, 2, 3, 255),
  tags: ['', 'a', 'ü'],
  maybe: [[2n ** 64n - 1n]],
  shapes: [{ Circle: 7 }, { Square: { side: 3 } }, { Empty: null }],
  nothing: null,
};

function codec(types: IDL.Type[]) {
  const compiled = compileCandid(types);
  if (compiled === undefined) throw new Error('expected the types to compile');
  return compiled;
}

describe('compileCandid', () => {
  describe('#encode', () => {
    it('writes the bytes IDL.encode writes', () => {
      const types = [Everything, IDL.Opt(IDL.Text), IDL.Nat64];
      const values = [everything, [], 0n];
      expect(codec(types).encode(values)).toEqual(new Uint8Array(IDL.encode(types, values)));
    });

    it('writes the protocol types as IDL does, values at their bounds included', () => {
      const key = { client_principal: alice, client_nonce: 2n ** 64n - 1n };
      const args = { msg: { client_key: key, sequence_num: 2n ** 53n, timestamp: 2n ** 53n - 1n, is_service_message: true, content: new Uint8Array(300) } };
      const types = [CanisterWsMessageArgumentsIdl, IDL.Opt(IDL.Null)];
      expect(codec(types).encode([args, []])).toEqual(new Uint8Array(IDL.encode(types, [args, []])));
      const result = { Ok: { messages: [{ client_key: key, key: 'k_00000000000000000001', content: Uint8Array.of(9) }], cert: new Uint8Array(5), tree: new Uint8Array(), is_end_of_queue: false } };
      expect(codec([CanisterWsGetMessagesResultIdl]).encode([result])).toEqual(new Uint8Array(IDL.encode([CanisterWsGetMessagesResultIdl], [result])));
    });

    it('accepts what IDL accepts off its fast path (a number array as a blob)', () => {
      const types = [IDL.Vec(IDL.Nat8)];
      expect(codec(types).encode([[1, 2, 3]])).toEqual(new Uint8Array(IDL.encode(types, [[1, 2, 3]])));
    });

    it('refuses what IDL refuses, with its error', () => {
      expect(() => codec([IDL.Nat8]).encode([256])).toThrow(/Invalid nat8 argument/);
      expect(() => codec([Everything]).encode([{ ...everything, name: 5 }])).toThrow(/Invalid record/);
      expect(() => codec([Shape]).encode([{ Circle: 1, Empty: null }])).toThrow(/Invalid variant/);
    });
  });

  describe('#decode', () => {
    it('reads what IDL.decode reads from bytes of its own header', () => {
      const types = [Everything, WebsocketServiceMessageContentIdl];
      const values = [everything, { AckMessage: { last_incoming_sequence_num: 12n } }];
      const bytes = new Uint8Array(IDL.encode(types, values));
      expect(codec(types).decode(bytes)).toEqual(IDL.decode(types, bytes));
    });

    it('reads from a view into a larger buffer', () => {
      const bytes = new Uint8Array(IDL.encode([IDL.Text, IDL.Nat64], ['x', 5n]));
      const larger = new Uint8Array(bytes.length + 7);
      larger.set(bytes, 7);
      expect(codec([IDL.Text, IDL.Nat64]).decode(larger.subarray(7))).toEqual(['x', 5n]);
    });

    it('gives the same principal object for the same bytes, and copies of blobs', () => {
      const types = [IDL.Principal, IDL.Vec(IDL.Nat8)];
      const bytes = new Uint8Array(IDL.encode(types, [alice, Uint8Array.of(1)]));
      const [first, blob] = codec(types).decode(bytes)!;
      const [second] = codec(types).decode(bytes)!;
      expect(second).toBe(first);
      expect((first as Principal).toText()).toBe(alice.toText());
      expect((blob as Uint8Array).buffer).not.toBe(bytes.buffer);
    });

    it('returns undefined for another header, trailing bytes or malformed values', () => {
      const compiled = codec([IDL.Text, IDL.Bool]);
      expect(compiled.decode(new Uint8Array(IDL.encode([IDL.Text], ['a'])))).toBeUndefined();
      const good = new Uint8Array(IDL.encode([IDL.Text, IDL.Bool], ['a', true]));
      expect(compiled.decode(Uint8Array.of(...good, 0))).toBeUndefined();
      expect(compiled.decode(Uint8Array.of(...good.subarray(0, -1), 2))).toBeUndefined();
      const badUtf8 = Uint8Array.of(...good.subarray(0, -3), 1, 0xff, 1);
      expect(compiled.decode(badUtf8)).toBeUndefined();
      expect(compiled.decode(good.subarray(0, -1))).toBeUndefined();
    });
  });

  it('does not compile types it does not cover', () => {
    expect(compileCandid([IDL.Int])).toBeUndefined();
    expect(compileCandid([IDL.Tuple(IDL.Nat8, IDL.Text)])).toBeUndefined();
    const List = IDL.Rec();
    List.fill(IDL.Opt(IDL.Record({ head: IDL.Nat8, tail: List })));
    expect(compileCandid([List])).toBeUndefined();
  });
});
