import { IcwsError } from '@icws/backend-cdk';
import { EnvelopeError } from './envelope-error';

describe('EnvelopeError', () => {
  test('is an IcwsError carrying the HTTP status and a stable code', () => {
    const err = new EnvelopeError(400, 'ICWS_ERR_EXPIRED', 'content.ingress_expiry is in the past');
    expect(err).toBeInstanceOf(IcwsError);
    expect(err).toMatchObject({ status: 400, code: 'ICWS_ERR_EXPIRED', name: 'EnvelopeError', message: 'content.ingress_expiry is in the past' });
    expect(err.hasCode('ICWS_ERR_EXPIRED')).toBe(true);
  });

  test.each([
    [400, 'input'],
    [403, 'trust'],
    [413, 'input'],
  ] as const)('counts status %i as a failure of kind %s', (status, kind) => {
    expect(new EnvelopeError(status, 'ICWS_ERR_X', 'x').kind).toBe(kind);
  });
});
