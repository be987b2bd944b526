import { Cbor } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { decodeEnvelope } from './decode';
import { EnvelopeError } from './envelope-error';
import { MAX_ENVELOPE_BYTES } from './limits';

// The strict decoding itself is specified by envelope-decode.test.ts of @icws/protocol.
const content = {
  request_type: 'query',
  canister_id: Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai'),
  method_name: 'get',
  arg: new Uint8Array(0),
  sender: Principal.anonymous(),
  ingress_expiry: 1n,
};

function refusal(body: Uint8Array): EnvelopeError {
  try {
    decodeEnvelope(body);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeError);
    return err as EnvelopeError;
  }
  throw new Error('expected the body to be refused');
}

describe('decodeEnvelope', () => {
  test('decodes what the protocol decodes', () => {
    expect(decodeEnvelope(Cbor.encode({ content })).content).toMatchObject({ request_type: 'query', method_name: 'get', sender: Uint8Array.of(4) });
  });

  test('refuses bodies over MAX_ENVELOPE_BYTES with 413, before decoding them', () => {
    const err = refusal(new Uint8Array(MAX_ENVELOPE_BYTES + 1));
    expect(err).toMatchObject({ code: 'ICWS_ERR_TOO_LARGE', status: 413 });
    expect(err.message).toContain(`limit of ${MAX_ENVELOPE_BYTES} bytes`);
  });

  test.each([
    ['bad CBOR', new TextEncoder().encode('{}'), 'ICWS_ERR_BAD_CBOR', 'request body is not valid CBOR'],
    ['a malformed envelope', Cbor.encode({ content: { ...content, method_name: 5 } }), 'ICWS_ERR_MALFORMED_ENVELOPE', 'content.method_name must be text'],
    ['too many delegations', Cbor.encode({ content, sender_delegation: Array.from({ length: 21 }, () => ({})) }), 'ICWS_ERR_DELEGATION_CHAIN_TOO_LONG', 'more than the 20 allowed'],
  ])('answers %s with 400 and the decoder’s code and message', (_what, body, code, fragment) => {
    const err = refusal(body);
    expect(err).toMatchObject({ code, status: 400, kind: 'input' });
    expect(err.message).toContain(fragment);
  });
});
