import { Cbor } from '@icp-sdk/core/agent';
import { empty, fork, labeled, leaf, pruned } from '@icws/backend-cdk';
import { encodeCbor } from './cbor';
import { encodeCallReply, encodeCertificate, encodeDelegation, encodeQueryResponse } from './response-cbor';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const utf8 = (s: string) => new TextEncoder().encode(s);
const tree = fork(labeled('time', leaf(Uint8Array.of(0x80, 0x01))), fork(pruned(new Uint8Array(32).fill(7)), empty()));
const signature = new Uint8Array(48).fill(3);

describe('encodeCertificate', () => {
  it('writes the bytes the general CBOR encoder writes for {tree, signature}', () => {
    expect(hex(encodeCertificate(tree, signature))).toBe(hex(encodeCbor({ tree, signature })));
  });

  it('writes the bytes the general CBOR encoder writes for {tree, signature, delegation}', () => {
    const delegation = { subnet_id: new Uint8Array(29).fill(4), certificate: encodeCertificate(tree, signature) };
    const encoded = encodeCertificate(tree, signature, encodeDelegation(delegation.subnet_id, delegation.certificate));
    expect(hex(encoded)).toBe(hex(encodeCbor({ tree, signature, delegation })));
  });

  it('decodes with the agent to the same tree and signature', () => {
    expect(Cbor.decode(encodeCertificate(tree, signature))).toEqual({ tree, signature });
  });

  it('returns a plain Uint8Array over a buffer of its own, as callers may hand it to any decoder', () => {
    Buffer.allocUnsafe(10); // so that a pooled result would not start at offset 0
    const certificate = encodeCertificate(tree, signature);
    expect(Object.getPrototypeOf(certificate)).toBe(Uint8Array.prototype);
    expect(certificate.byteOffset).toBe(0);
    expect(certificate.buffer.byteLength).toBe(certificate.length);
  });
});

describe('encodeCallReply', () => {
  it.each([1, 3_000, 70_000])('writes the bytes of {status: "replied", certificate} for a certificate whose leaf holds %i bytes', (length) => {
    const tree = fork(labeled('time', leaf(new Uint8Array(length).fill(5))), pruned(new Uint8Array(32).fill(6)));
    const signature = new Uint8Array(48).fill(7);
    const delegation = encodeDelegation(new Uint8Array(29).fill(4), encodeCertificate(tree, signature));
    for (const parts of [{ tree, signature }, { tree, signature, delegation }]) {
      const certificate = encodeCertificate(parts.tree, parts.signature, parts.delegation);
      expect(hex(encodeCallReply(parts))).toBe(hex(encodeCbor({ status: 'replied', certificate })));
    }
  });
});

describe('encodeQueryResponse', () => {
  const signatures = [{ timestamp: 1_763_700_000_000_000_000n, signature: new Uint8Array(64).fill(9), identity: new Uint8Array(29).fill(1) }];

  it.each([0, 23, 24, 300])('writes a reply with a %i-byte argument that the agent decodes as the general encoder would', (length) => {
    const body = { status: 'replied' as const, reply: { arg: new Uint8Array(length).fill(2) }, signatures };
    const decoded = Cbor.decode(encodeQueryResponse(body));
    expect(decoded).toEqual(Cbor.decode(encodeCbor(body)));
    expect(decoded).toEqual(body);
  });

  it.each([0n, 23n, 24n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 64n - 1n])('writes the timestamp %p as an unsigned integer', (timestamp) => {
    const body = { status: 'replied' as const, reply: { arg: new Uint8Array(1) }, signatures: [{ ...signatures[0], timestamp }] };
    const decoded = Cbor.decode<{ signatures: Array<{ timestamp: bigint | number }> }>(encodeQueryResponse(body));
    expect(BigInt(decoded.signatures[0].timestamp)).toBe(timestamp);
  });

  it('encodes a reject with the general encoder', () => {
    const body = { status: 'rejected' as const, reject_code: 5, reject_message: 'trapped', error_code: 'IC0503', signatures };
    expect(hex(encodeQueryResponse(body))).toBe(hex(encodeCbor(body)));
    expect(Cbor.decode(encodeQueryResponse(body))).toMatchObject({ status: 'rejected', reject_message: 'trapped' });
  });

  it('keeps text fields as text', () => {
    const body = { status: 'replied' as const, reply: { arg: utf8('DIDL') }, signatures };
    expect(Cbor.decode<{ status: unknown }>(encodeQueryResponse(body)).status).toBe('replied');
  });
});
