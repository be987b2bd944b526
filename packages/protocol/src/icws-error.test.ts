/** One error system: a base class with a kind, a stable code, a cause and where it travels. */
import { codeOfWireText, defineErrorCodes, IcwsError } from './icws-error';
import { ProtocolError } from './errors';

describe('IcwsError', () => {
  it('is an Error named after its class, with code, kind, cause, HTTP status and close code', () => {
    const cause = new Error('inner');
    const err = new IcwsError<string>('ICWS_ERR_EXAMPLE', 'what happened; what to do', { cause, kind: 'trust', httpStatus: 403, closeCode: 4002 });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'IcwsError', code: 'ICWS_ERR_EXAMPLE', kind: 'trust', httpStatus: 403, closeCode: 4002, cause });
    expect(err.hasCode('ICWS_ERR_EXAMPLE')).toBe(true);
    expect(err.hasCode('ICWS_ERR_OTHER')).toBe(false);
  });

  it("is the base of every package's errors, so one check recognizes them all", () => {
    const err = new ProtocolError('ICWS_ERR_BAD_CANDID', 'x');
    expect(IcwsError.is(err)).toBe(true);
    expect(IcwsError.is(err, 'ICWS_ERR_BAD_CANDID')).toBe(true);
    expect(IcwsError.is(err, 'ICWS_ERR_BAD_MESSAGE')).toBe(false);
    expect(IcwsError.is(new Error('x'))).toBe(false);
    expect(err.name).toBe('ProtocolError');
  });

  it('is an internal failure unless its registry says otherwise', () => {
    expect(new IcwsError('ICWS_ERR_EXAMPLE', 'x').kind).toBe('internal');
  });

  describe('#wireText', () => {
    it('leads with the code, so a close reason cut to 123 bytes still carries it', () => {
      expect(new IcwsError('ICWS_ERR_EXAMPLE', 'the frame is too big').wireText).toBe('ICWS_ERR_EXAMPLE: the frame is too big');
    });
  });
});

describe('defineErrorCodes', () => {
  it('keeps the registry as given', () => {
    const registry = defineErrorCodes({ ICWS_ERR_SOMETHING: { kind: 'input', summary: 'something' } });
    expect(registry.ICWS_ERR_SOMETHING.kind).toBe('input');
    expect(Object.isFrozen(registry)).toBe(true);
  });

  it('refuses a code that is not ICWS_ERR_ and capitals', () => {
    expect(() => defineErrorCodes({ BAD: { kind: 'input', summary: 'x' } })).toThrow(/error code "BAD" must be ICWS_ERR_/);
    expect(() => defineErrorCodes({ ICWS_ERR_lower: { kind: 'input', summary: 'x' } })).toThrow(IcwsError);
  });
});

describe('codeOfWireText', () => {
  it.each([
    ['ICWS_ERR_RELAY_QUEUE_FULL: 64 frames are waiting', 'ICWS_ERR_RELAY_QUEUE_FULL'],
    ['Invalid request expiry: 2026-12-01 is in the past (ICWS_ERR_EXPIRED)', 'ICWS_ERR_EXPIRED'],
    ['client closed', undefined],
  ])('finds the code in %j', (text, code) => {
    expect(codeOfWireText(text)).toBe(code);
  });
});
