import { IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR as AGENT_DELEGATION, IC_REQUEST_DOMAIN_SEPARATOR as AGENT_REQUEST, IC_RESPONSE_DOMAIN_SEPARATOR as AGENT_RESPONSE } from '@icp-sdk/core/agent';
import {
  IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR,
  IC_REQUEST_DOMAIN_SEPARATOR,
  IC_RESPONSE_DOMAIN_SEPARATOR,
  IC_STATE_ROOT_DOMAIN_SEPARATOR,
  withDomainSeparator,
} from './domain-separators';

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('domain separators', () => {
  it('are a length byte followed by the name', () => {
    expect(latin1(IC_REQUEST_DOMAIN_SEPARATOR)).toBe('\x0Aic-request');
    expect(latin1(IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR)).toBe('\x1Aic-request-auth-delegation');
    expect(latin1(IC_RESPONSE_DOMAIN_SEPARATOR)).toBe('\x0Bic-response');
    expect(latin1(IC_STATE_ROOT_DOMAIN_SEPARATOR)).toBe('\x0Dic-state-root');
  });

  it('are the bytes @dfinity/agent signs and verifies with', () => {
    expect(IC_REQUEST_DOMAIN_SEPARATOR).toEqual(new Uint8Array(AGENT_REQUEST));
    expect(IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR).toEqual(new Uint8Array(AGENT_DELEGATION));
    expect(IC_RESPONSE_DOMAIN_SEPARATOR).toEqual(new Uint8Array(AGENT_RESPONSE));
  });
});

describe('withDomainSeparator', () => {
  it('puts the separator in front of the message, in a new array', () => {
    const message = Uint8Array.of(1, 2, 3);
    const signed = withDomainSeparator(IC_REQUEST_DOMAIN_SEPARATOR, message);
    expect(Array.from(signed)).toEqual([...IC_REQUEST_DOMAIN_SEPARATOR, 1, 2, 3]);
    signed[signed.length - 1] = 9;
    expect(message[2]).toBe(3);
  });
});
