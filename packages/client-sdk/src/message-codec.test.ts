import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { messageCodecOf } from './message-codec';

const AppMessage = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64, from: IDL.Opt(IDL.Principal), tags: IDL.Vec(IDL.Nat8) });
const message = { text: 'hello', timestamp: 1_700_000_000_000_000_000n, from: [Principal.fromText('2vxsx-fae')], tags: Uint8Array.of(1, 2) };

describe('messageCodecOf', () => {
  it('gives one codec per message type', () => {
    expect(messageCodecOf(AppMessage)).toBe(messageCodecOf(AppMessage));
  });

  describe('#encode', () => {
    it('writes the bytes IDL.encode writes', () => {
      expect(messageCodecOf(AppMessage).encode(message)).toEqual(new Uint8Array(IDL.encode([AppMessage], [message])));
    });

    it('throws, as IDL.encode does, for a message that does not fit the type', () => {
      expect(() => messageCodecOf(AppMessage).encode({ text: 42 })).toThrow();
    });

    it('encodes types it does not compile with IDL.encode', () => {
      const Float = IDL.Record({ x: IDL.Float64 });
      expect(messageCodecOf(Float).encode({ x: 1.5 })).toEqual(new Uint8Array(IDL.encode([Float], [{ x: 1.5 }])));
    });
  });

  describe('#decode', () => {
    it('reads back what IDL.decode reads, from a view at an offset too', () => {
      const bytes = new Uint8Array(IDL.encode([AppMessage], [message]));
      const framed = new Uint8Array(bytes.length + 3);
      framed.set(bytes, 3);
      const expected = IDL.decode([AppMessage], bytes)[0];
      expect(messageCodecOf(AppMessage).decode(bytes)).toEqual(expected);
      expect(messageCodecOf(AppMessage).decode(framed.subarray(3))).toEqual(expected);
    });

    it('decodes bytes of another type table by Candid subtyping (a record with an extra field)', () => {
      const Wider = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64, from: IDL.Opt(IDL.Principal), tags: IDL.Vec(IDL.Nat8), extra: IDL.Bool });
      const bytes = new Uint8Array(IDL.encode([Wider], [{ ...message, extra: true }]));
      expect(messageCodecOf(AppMessage).decode(bytes)).toEqual(IDL.decode([AppMessage], bytes)[0]);
    });

    it('throws, as IDL.decode does, for bytes that are not a value of the type', () => {
      expect(() => messageCodecOf(AppMessage).decode(new Uint8Array(IDL.encode([IDL.Text], ['not a record'])))).toThrow();
    });
  });
});
