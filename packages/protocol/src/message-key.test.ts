/**
 * Outbound-queue message keys: `<gateway principal text>_<nonce in 20 zero-padded digits>`, the
 * format of the upstream CDK (`format_message_for_gateway_key`), which the gateway parses to know
 * where to poll from and the client looks up in the certification tree.
 */
import { Principal } from '@icp-sdk/core/principal';
import { ProtocolError, ProtocolErrorCode } from './errors';
import { formatMessageKey, formatMessageKeyNonce, MESSAGE_KEY_NONCE_DIGITS, messageKeyNonce, parseMessageKey } from './message-key';

const GATEWAY_TEXT = 'sqdfl-mr4km-2hfjy-gajqo-xqvh7-hf4mf-nra4i-3it6l-neaw4-soolw-tae';
const GATEWAY = Principal.fromText(GATEWAY_TEXT);

function expectBadKey(key: unknown): ProtocolError {
  let caught: unknown;
  try {
    parseMessageKey(key as string);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).code).toBe(ProtocolErrorCode.BAD_MESSAGE_KEY);
  expect((caught as ProtocolError).field).toBe('key');
  return caught as ProtocolError;
}

describe('formatMessageKey', () => {
  it('joins the principal text and the nonce padded to 20 digits with an underscore', () => {
    // The first key of this gateway in a captured upstream session (its certification tree).
    expect(formatMessageKey(GATEWAY, 0n)).toBe(`${GATEWAY_TEXT}_00000000000000000000`);
    expect(formatMessageKey(GATEWAY, 42n)).toBe(`${GATEWAY_TEXT}_00000000000000000042`);
  });

  it('fits the largest u64 exactly in 20 digits', () => {
    expect(MESSAGE_KEY_NONCE_DIGITS).toBe(20);
    expect(formatMessageKey(GATEWAY, 2n ** 64n - 1n)).toBe(`${GATEWAY_TEXT}_18446744073709551615`);
  });

  it('makes keys of one gateway sort as strings in nonce order', () => {
    const nonces = [0n, 9n, 10n, 99n, 100n, 12_345n, 2n ** 40n, 2n ** 64n - 1n];
    const keys = nonces.map((n) => formatMessageKey(GATEWAY, n));
    expect([...keys].reverse().sort()).toEqual(keys);
  });

  it('refuses a nonce outside u64', () => {
    for (const nonce of [-1n, 2n ** 64n, 1 as unknown as bigint]) {
      let caught: unknown;
      try {
        formatMessageKey(GATEWAY, nonce);
      } catch (err) {
        caught = err;
      }
      expect(ProtocolError.is(caught, ProtocolErrorCode.INVALID_ARGUMENT)).toBe(true);
    }
  });
});

describe('formatMessageKeyNonce', () => {
  it('is the suffix formatMessageKey appends to a cached principal text', () => {
    expect(`${GATEWAY_TEXT}_${formatMessageKeyNonce(7n)}`).toBe(formatMessageKey(GATEWAY, 7n));
  });
});

describe('parseMessageKey', () => {
  it('returns the gateway principal and the nonce', () => {
    const { gatewayPrincipal, nonce } = parseMessageKey(`${GATEWAY_TEXT}_00000000000000000042`);
    expect(gatewayPrincipal.toText()).toBe(GATEWAY_TEXT);
    expect(nonce).toBe(42n);
  });

  it('inverts formatMessageKey', () => {
    for (const nonce of [0n, 1n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
      const parsed = parseMessageKey(formatMessageKey(GATEWAY, nonce));
      expect(parsed.nonce).toBe(nonce);
      expect(parsed.gatewayPrincipal.toText()).toBe(GATEWAY_TEXT);
    }
  });

  it('accepts any principal, short ones included', () => {
    expect(parseMessageKey('aaaaa-aa_00000000000000000001').gatewayPrincipal.toText()).toBe('aaaaa-aa');
    expect(parseMessageKey('2vxsx-fae_00000000000000000001').gatewayPrincipal.isAnonymous()).toBe(true);
  });

  it.each([
    ['no separator', `${GATEWAY_TEXT}00000000000000000001`],
    ['an empty key', ''],
    ['a nonce of 19 digits', `${GATEWAY_TEXT}_0000000000000000001`],
    ['a nonce of 21 digits', `${GATEWAY_TEXT}_000000000000000000001`],
    ['an unpadded nonce', `${GATEWAY_TEXT}_1`],
    ['a signed nonce', `${GATEWAY_TEXT}_+0000000000000000001`],
    ['a non-decimal nonce', `${GATEWAY_TEXT}_0000000000000000000a`],
    ['a nonce above 2^64 - 1', `${GATEWAY_TEXT}_18446744073709551616`],
    ['a principal with a wrong checksum', 'sqdfl-mr4km-2hfjy-gajqo-xqvh7-hf4mf-nra4i-3it6l-neaw4-soolw-taf_00000000000000000001'],
    ['a principal in upper case', `${GATEWAY_TEXT.toUpperCase()}_00000000000000000001`],
    ['no principal', '_00000000000000000001'],
    ['an underscore inside the principal', `${GATEWAY_TEXT}_x_00000000000000000001`],
  ])('refuses %s', (_what, key) => {
    expect(expectBadKey(key).message).toContain('bad message key');
  });

  it('refuses a value that is not a string', () => {
    expectBadKey(42);
  });
});

describe('messageKeyNonce', () => {
  it('reads the nonce of a key as parseMessageKey does', () => {
    for (const nonce of [0n, 42n, 2n ** 64n - 1n]) expect(messageKeyNonce(formatMessageKey(GATEWAY, nonce))).toBe(nonce);
  });

  it.each([
    ['no separator', `${GATEWAY_TEXT}00000000000000000001`],
    ['a nonce of 19 digits', `${GATEWAY_TEXT}_0000000000000000001`],
    ['a non-decimal nonce', `${GATEWAY_TEXT}_0000000000000000000a`],
    ['a nonce above 2^64 - 1', `${GATEWAY_TEXT}_18446744073709551616`],
    ['no principal', '_00000000000000000001'],
  ])('refuses %s, as parseMessageKey does', (_what, key) => {
    expect(() => messageKeyNonce(key)).toThrow(expect.objectContaining({ code: 'ICWS_ERR_BAD_MESSAGE_KEY' }));
  });
});
