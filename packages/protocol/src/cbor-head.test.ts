import { Decoder } from 'cbor-x';
import { cborHead, cborHeadSize, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_TEXT, MAJOR_UNSIGNED, SELF_DESCRIBE_TAG, writeCborHead } from './cbor-head';

const decoder = new Decoder({ mapsAsObjects: true, useRecords: false });

describe('SELF_DESCRIBE_TAG', () => {
  it('is tag 55799 as written in front of an item', () => {
    expect(Array.from(SELF_DESCRIBE_TAG)).toEqual([0xd9, 0xd9, 0xf7]);
    expect(SELF_DESCRIBE_TAG[0] >> 5).toBe(6); // major type 6: a tag
    expect(SELF_DESCRIBE_TAG[0] & 0x1f).toBe(25); // its number in the next two bytes
    expect((SELF_DESCRIBE_TAG[1] << 8) | SELF_DESCRIBE_TAG[2]).toBe(55799);
  });
});

describe('cborHead', () => {
  it.each([
    [0, [0x00]],
    [23, [0x17]],
    [24, [0x18, 24]],
    [255, [0x18, 0xff]],
    [256, [0x19, 0x01, 0x00]],
    [65535, [0x19, 0xff, 0xff]],
    [65536, [0x1a, 0x00, 0x01, 0x00, 0x00]],
    [0xffff_ffff, [0x1a, 0xff, 0xff, 0xff, 0xff]],
  ])('writes the shortest head of the unsigned integer %p', (n, bytes) => {
    expect(Array.from(cborHead(MAJOR_UNSIGNED, n))).toEqual(bytes);
    expect(cborHeadSize(n)).toBe(bytes.length);
    expect(decoder.decode(cborHead(MAJOR_UNSIGNED, n))).toBe(n);
  });

  it('puts the major type in the top three bits', () => {
    expect(cborHead(MAJOR_BYTES, 3)[0]).toBe(0x43);
    expect(cborHead(MAJOR_TEXT, 3)[0]).toBe(0x63);
    expect(cborHead(MAJOR_ARRAY, 3)[0]).toBe(0x83);
    expect(cborHead(MAJOR_MAP, 3)[0]).toBe(0xa3);
  });

  it('heads items that a CBOR library reads back', () => {
    const text = new TextEncoder().encode('x'.repeat(300));
    const item = Uint8Array.from([...SELF_DESCRIBE_TAG, ...cborHead(MAJOR_MAP, 1), ...cborHead(MAJOR_TEXT, 1), 0x6b, ...cborHead(MAJOR_TEXT, 300), ...text]);
    expect(decoder.decode(item)).toEqual({ k: 'x'.repeat(300) });
  });
});

describe('writeCborHead', () => {
  it('writes at an offset and returns the offset after the head', () => {
    const out = new Uint8Array(8).fill(0xee);
    expect(writeCborHead(MAJOR_BYTES, 1000, out, 2)).toBe(5);
    expect(Array.from(out)).toEqual([0xee, 0xee, 0x59, 0x03, 0xe8, 0xee, 0xee, 0xee]);
  });
});
