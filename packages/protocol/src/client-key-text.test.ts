import { Principal } from '@icp-sdk/core/principal';
import { clientKeyText } from './client-key-text';

describe('clientKeyText', () => {
  const principal = Principal.fromText('sqdfl-mr4km-2hfjy-gajqo-xqvh7-hf4mf-nra4i-3it6l-neaw4-soolw-tae');

  it('writes the principal and the nonce joined by an underscore', () => {
    expect(clientKeyText({ client_principal: principal, client_nonce: 42n })).toBe(`${principal.toText()}_42`);
  });

  it('writes u64 nonces in full, without rounding', () => {
    expect(clientKeyText({ client_principal: Principal.anonymous(), client_nonce: 2n ** 64n - 1n })).toBe('2vxsx-fae_18446744073709551615');
  });

  it('tells apart keys of the same principal with different nonces', () => {
    const a = clientKeyText({ client_principal: principal, client_nonce: 1n });
    const b = clientKeyText({ client_principal: principal, client_nonce: 11n });
    expect(a).not.toBe(b);
  });
});
