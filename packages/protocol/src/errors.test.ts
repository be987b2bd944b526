/** Every failure of this package is a ProtocolError with a stable code that callers branch on. */
import { ProtocolError, ProtocolErrorCode } from './errors';

describe('ProtocolError', () => {
  it('is an Error with a name, a stable code and the offending field', () => {
    const cause = new RangeError('inner');
    const err = new ProtocolError(ProtocolErrorCode.BAD_MESSAGE, 'WebsocketMessage: field sequence_num …', { field: 'sequence_num', cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ProtocolError');
    expect(err.code).toBe('ICWS_ERR_BAD_MESSAGE');
    expect(err.field).toBe('sequence_num');
    expect(err.cause).toBe(cause);
    expect(err.message).toBe('WebsocketMessage: field sequence_num …');
  });

  it('blames the peer for bad bytes and the caller for bad arguments', () => {
    expect(new ProtocolError(ProtocolErrorCode.BAD_MESSAGE_KEY, 'x').kind).toBe('protocol');
    expect(new ProtocolError(ProtocolErrorCode.BAD_SERVICE_MESSAGE, 'x').kind).toBe('protocol');
    expect(new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, 'x').kind).toBe('input');
  });

  describe('#hasCode', () => {
    it('tells whether the error carries a code', () => {
      const err = new ProtocolError(ProtocolErrorCode.BAD_CANDID, 'x');
      expect(err.hasCode(ProtocolErrorCode.BAD_CANDID)).toBe(true);
      expect(err.hasCode(ProtocolErrorCode.BAD_MESSAGE)).toBe(false);
    });
  });

  describe('.is', () => {
    it('recognizes protocol errors, optionally of one code', () => {
      const err = new ProtocolError(ProtocolErrorCode.BAD_MESSAGE, 'x');
      expect(ProtocolError.is(err)).toBe(true);
      expect(ProtocolError.is(err, ProtocolErrorCode.BAD_MESSAGE)).toBe(true);
      expect(ProtocolError.is(err, ProtocolErrorCode.BAD_CANDID)).toBe(false);
      expect(ProtocolError.is(new Error('x'))).toBe(false);
    });
  });

  it('has codes that are stable strings prefixed ICWS_ERR_', () => {
    expect(Object.values(ProtocolErrorCode).sort()).toEqual([
      'ICWS_ERR_BAD_CANDID',
      'ICWS_ERR_BAD_CBOR',
      'ICWS_ERR_BAD_MESSAGE',
      'ICWS_ERR_BAD_MESSAGE_KEY',
      'ICWS_ERR_BAD_SERVICE_MESSAGE',
      'ICWS_ERR_DELEGATION_CHAIN_TOO_LONG',
      'ICWS_ERR_DELEGATION_TARGETS',
      'ICWS_ERR_INVALID_ARGUMENT',
      'ICWS_ERR_MALFORMED_ENVELOPE',
      'ICWS_ERR_READ_STATE_TOO_LARGE',
    ]);
  });
});
