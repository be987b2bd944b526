import { IcwsError } from '@icws/protocol';
import { REPLICA_ERROR_CODES } from '../errors';
import { EnvelopeError } from './envelope-error';

describe('EnvelopeError', () => {
  test('is an IcwsError carrying the HTTP status and a stable code', () => {
    const err = new EnvelopeError(400, 'ICWS_ERR_EXPIRED', 'content.ingress_expiry is in the past');
    expect(err).toBeInstanceOf(IcwsError);
    expect(err).toMatchObject({ status: 400, httpStatus: 400, code: 'ICWS_ERR_EXPIRED', name: 'EnvelopeError', message: 'content.ingress_expiry is in the past' });
    expect(err.hasCode('ICWS_ERR_EXPIRED')).toBe(true);
    expect(err.wireText).toBe('ICWS_ERR_EXPIRED: content.ingress_expiry is in the past');
  });

  test.each([
    ['ICWS_ERR_MALFORMED_ENVELOPE', 400, 'input'],
    ['ICWS_ERR_BAD_SIGNATURE', 403, 'trust'],
    ['ICWS_ERR_TOO_LARGE', 413, 'input'],
  ] as const)('%s answers %i and is a failure of kind %s', (code, status, kind) => {
    expect(REPLICA_ERROR_CODES[code]).toMatchObject({ httpStatus: status, kind });
    expect(new EnvelopeError(status, code, 'x').kind).toBe(kind);
  });

  test('every refusal code of the registry answers with a 4xx or 5xx status', () => {
    for (const [code, info] of Object.entries(REPLICA_ERROR_CODES)) {
      if ('httpStatus' in info) expect([code, info.httpStatus >= 400 && info.httpStatus < 600]).toEqual([code, true]);
    }
  });
});
