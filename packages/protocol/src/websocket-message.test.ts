/**
 * The CBOR encoding of canister-to-client `WebsocketMessage`s: the bytes the canister certifies and
 * the client decodes. Our encoder must write what the upstream Rust CDK writes (serde_cbor with the
 * self-describe tag), since certificates cover those exact bytes.
 */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import type { WebsocketMessage } from './candid';
import { encodeCbor } from './cbor';
import { ProtocolError, ProtocolErrorCode } from './errors';
import { decodeWebsocketMessage, encodeWebsocketMessage } from './websocket-message';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const text = (s: string) => Buffer.from(s, 'utf8').toString('hex');

// A message the upstream Rust CDK sent in a captured session (ic-websocket-sdk-js,
// src/test/messages.ts, the third message: an application message carrying `record { text = "Hello" }`).
const CLIENT = Principal.fromText('kj67s-b5v2y-ahlkr-kmume-xbow6-zwbtj-j4j3m-ae46e-qqrcu-uxiby-yae');
const HELLO = IDL.encode([IDL.Record({ text: IDL.Text })], [{ text: 'Hello' }]);
const MESSAGE: WebsocketMessage = {
  client_key: { client_principal: CLIENT, client_nonce: 385_892_949_151_814_926n },
  sequence_num: 3n,
  timestamp: 1_702_143_818_946_826_129n,
  is_service_message: false,
  content: HELLO,
};

// Its bytes, laid out field by field as serde_cbor writes the struct; the upstream CDK produced
// exactly these bytes for it.
const MESSAGE_CBOR = [
  'd9d9f7', //                                tag 55799, self-describe
  'a5', //                                    map, 5 entries
  '6a' + text('client_key'),
  'a2', //                                      map, 2 entries
  '70' + text('client_principal'),
  '581d' + hex(CLIENT.toUint8Array()), //         byte string, 29 bytes
  '6c' + text('client_nonce'),
  '1b' + '055af797bb85950e', //                   u64 in 8 bytes
  '6c' + text('sequence_num'),
  '03', //                                      u64 3, in the head byte
  '69' + text('timestamp'),
  '1b' + '179f3ac8f4f3cf91',
  '72' + text('is_service_message'),
  'f4', //                                      false
  '67' + text('content'),
  '55' + '4449444c016c01ad99e7e7047101000548656c6c6f', // byte string, 21 bytes of Candid
].join('');

function expectProtocolError(fn: () => unknown, code: ProtocolErrorCode, field?: string): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  const err = caught as ProtocolError;
  expect(err.code).toBe(code);
  if (field !== undefined) {
    expect(err.field).toBe(field);
    expect(err.message).toContain(`'${field}'`);
  }
  return err;
}

describe('encodeWebsocketMessage', () => {
  it('writes the bytes of the upstream Rust CDK, field by field', () => {
    expect(hex(encodeWebsocketMessage(MESSAGE))).toBe(MESSAGE_CBOR);
  });

  it('writes is_service_message true as f5', () => {
    const bytes = hex(encodeWebsocketMessage({ ...MESSAGE, is_service_message: true }));
    expect(bytes).toContain(text('is_service_message') + 'f5' + '67' + text('content'));
  });

  it.each([
    [0n, '00'],
    [23n, '17'],
    [24n, '1818'],
    [255n, '18ff'],
    [256n, '190100'],
    [65_535n, '19ffff'],
    [65_536n, '1a00010000'],
    [0xffff_ffffn, '1affffffff'],
    [0x1_0000_0000n, '1b0000000100000000'],
    [2n ** 64n - 1n, '1bffffffffffffffff'],
  ])('writes the u64 %s in its shortest form %s, as serde_cbor does', (value, head) => {
    const bytes = hex(encodeWebsocketMessage({ ...MESSAGE, sequence_num: value }));
    expect(bytes).toContain('6c' + text('sequence_num') + head + '69' + text('timestamp'));
  });

  it('writes an empty content as an empty byte string', () => {
    expect(hex(encodeWebsocketMessage({ ...MESSAGE, content: new Uint8Array() }))).toMatch(new RegExp(`67${text('content')}40$`));
  });

  it('refuses a sequence number outside u64', () => {
    expectProtocolError(() => encodeWebsocketMessage({ ...MESSAGE, sequence_num: -1n }), ProtocolErrorCode.INVALID_ARGUMENT);
    expectProtocolError(() => encodeWebsocketMessage({ ...MESSAGE, sequence_num: 2n ** 64n }), ProtocolErrorCode.INVALID_ARGUMENT);
  });

  it('refuses numbers where bigints are due, naming the field', () => {
    const bad = { ...MESSAGE, timestamp: 5 as unknown as bigint };
    const err = expectProtocolError(() => encodeWebsocketMessage(bad), ProtocolErrorCode.INVALID_ARGUMENT);
    expect(err.field).toBe('timestamp');
    expect(err.kind).toBe('input');
  });

  it('refuses content that is not a Uint8Array', () => {
    const bad = { ...MESSAGE, content: [1, 2] as unknown as Uint8Array };
    expect(expectProtocolError(() => encodeWebsocketMessage(bad), ProtocolErrorCode.INVALID_ARGUMENT).field).toBe('content');
  });
});

describe('decodeWebsocketMessage', () => {
  it('reads the upstream bytes field by field', () => {
    const message = decodeWebsocketMessage(fromHex(MESSAGE_CBOR));
    expect(message.client_key.client_principal.toText()).toBe(CLIENT.toText());
    expect(message.client_key.client_nonce).toBe(385_892_949_151_814_926n);
    expect(message.sequence_num).toBe(3n);
    expect(message.timestamp).toBe(1_702_143_818_946_826_129n);
    expect(message.is_service_message).toBe(false);
    expect(message.content).toEqual(HELLO);
    expect(IDL.decode([IDL.Record({ text: IDL.Text })], message.content.slice())).toEqual([{ text: 'Hello' }]);
  });

  it('returns plain Uint8Arrays and bigints, whatever the integer width on the wire', () => {
    const message = decodeWebsocketMessage(encodeWebsocketMessage({ ...MESSAGE, sequence_num: 1n, timestamp: 7n }));
    expect(message.content.constructor).toBe(Uint8Array);
    expect(message.sequence_num).toBe(1n);
    expect(message.timestamp).toBe(7n);
  });

  it('round-trips any message', () => {
    const message: WebsocketMessage = {
      client_key: { client_principal: Principal.anonymous(), client_nonce: 2n ** 64n - 1n },
      sequence_num: 0n,
      timestamp: 0n,
      is_service_message: true,
      content: Uint8Array.of(0, 255),
    };
    expect(decodeWebsocketMessage(encodeWebsocketMessage(message))).toEqual(message);
  });

  it('accepts the message without the self-describe tag', () => {
    expect(decodeWebsocketMessage(fromHex(MESSAGE_CBOR.slice(6)))).toEqual(MESSAGE);
  });

  it('accepts keys in any order and ignores unknown keys, as serde does', () => {
    const bytes = encodeCbor(
      {
        extension: 'ignored',
        content: HELLO,
        is_service_message: false,
        timestamp: 1_702_143_818_946_826_129n,
        sequence_num: 3,
        client_key: { client_nonce: 385_892_949_151_814_926n, client_principal: CLIENT.toUint8Array() },
      },
      true,
    );
    expect(decodeWebsocketMessage(bytes)).toEqual(MESSAGE);
  });

  it('refuses bytes that are not CBOR', () => {
    expectProtocolError(() => decodeWebsocketMessage(Uint8Array.of(0xff, 0x00)), ProtocolErrorCode.BAD_MESSAGE);
  });

  it('refuses trailing bytes after the message', () => {
    expectProtocolError(() => decodeWebsocketMessage(fromHex(MESSAGE_CBOR + '00')), ProtocolErrorCode.BAD_MESSAGE);
  });

  it('refuses a CBOR item that is not a map', () => {
    const err = expectProtocolError(() => decodeWebsocketMessage(encodeCbor([1, 2], true)), ProtocolErrorCode.BAD_MESSAGE);
    expect(err.message).toMatch(/expected a CBOR map, got an array/);
  });

  const valid = () => ({
    client_key: { client_principal: CLIENT.toUint8Array(), client_nonce: 1 } as Record<string, unknown>,
    sequence_num: 1 as unknown,
    timestamp: 1 as unknown,
    is_service_message: false as unknown,
    content: HELLO as unknown,
  });
  it.each<[string, (m: ReturnType<typeof valid>) => void]>([
    ['client_key', (m) => ((m as Record<string, unknown>).client_key = 'x')],
    ['client_key.client_principal', (m) => (m.client_key.client_principal = CLIENT.toText())],
    ['client_key.client_principal', (m) => (m.client_key.client_principal = new Uint8Array(30))],
    ['client_key.client_nonce', (m) => delete m.client_key.client_nonce],
    ['client_key.client_nonce', (m) => (m.client_key.client_nonce = -1)],
    ['sequence_num', (m) => (m.sequence_num = undefined)],
    ['sequence_num', (m) => (m.sequence_num = 1.5)],
    ['sequence_num', (m) => (m.sequence_num = '1')],
    ['timestamp', (m) => (m.timestamp = null)],
    ['is_service_message', (m) => (m.is_service_message = 0)],
    ['content', (m) => (m.content = [1, 2, 3])],
    ['content', (m) => (m.content = 'Hello')],
  ])('refuses a bad %s and names it', (field, spoil) => {
    const message = valid();
    spoil(message);
    const err = expectProtocolError(() => decodeWebsocketMessage(encodeCbor(message, true)), ProtocolErrorCode.BAD_MESSAGE, field);
    expect(err.kind).toBe('protocol');
  });

  it('decodes from a view into a larger buffer', () => {
    const frame = fromHex('ffff' + MESSAGE_CBOR);
    expect(decodeWebsocketMessage(frame.subarray(2))).toEqual(MESSAGE);
  });
});
