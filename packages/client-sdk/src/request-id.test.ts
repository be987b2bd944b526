import { Expiry, makeNonce, requestIdOf, SubmitRequestType } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { fastRequestIdOf } from './request-id';

const call = () => ({
  request_type: SubmitRequestType.Call,
  canister_id: Principal.fromText('bkyz2-fmaaa-aaaaa-qaaaq-cai'),
  method_name: 'ws_message',
  arg: Uint8Array.from({ length: 90 }, (_, i) => i),
  sender: Principal.fromText('2vxsx-fae'),
  ingress_expiry: Expiry.fromDeltaInMilliseconds(5 * 60_000),
  nonce: makeNonce(),
});

describe('fastRequestIdOf', () => {
  it('gives the request id the agent gives for a call, again and again (cached hashes included)', () => {
    for (let i = 0; i < 3; i++) {
      const content = call();
      expect(fastRequestIdOf(content)).toEqual(requestIdOf(content));
    }
  });

  it('takes short and long arguments, numbers and undefined fields as the agent does', () => {
    const content = { ...call(), arg: new Uint8Array(3), count: 7, absent: undefined };
    expect(fastRequestIdOf(content)).toEqual(requestIdOf(content));
    const long = { ...call(), arg: new Uint8Array(5000).fill(9) };
    expect(fastRequestIdOf(long)).toEqual(requestIdOf(long));
  });

  it('leaves content with other values (nested maps, paths, negative numbers) to the agent', () => {
    expect(fastRequestIdOf({ ...call(), paths: [[new Uint8Array(1)]] })).toBeUndefined();
    expect(fastRequestIdOf({ ...call(), nested: { a: 'b' } })).toBeUndefined();
    expect(fastRequestIdOf({ ...call(), n: -1 })).toBeUndefined();
    expect(fastRequestIdOf({ ...call(), n: 1.5 })).toBeUndefined();
  });
});
