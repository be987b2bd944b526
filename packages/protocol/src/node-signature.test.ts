import { hashOfMap, IC_RESPONSE_DOMAIN_SEPARATOR } from '@icp-sdk/core/agent';
import { sha256 } from '@noble/hashes/sha2';
import { nodeSignatureMessage, queryReplyHash } from './node-signature';
import { createRequestIdOf } from './request-id';

const requestId = Uint8Array.from({ length: 32 }, (_, i) => i);
const timestamp = 1_700_000_000_000_000_000n;

/** What `@dfinity/agent` checks a node's signature against. */
function agentMessage(fields: Record<string, unknown>): Uint8Array {
  return Uint8Array.from([...IC_RESPONSE_DOMAIN_SEPARATOR, ...hashOfMap(fields)]);
}

describe('nodeSignatureMessage', () => {
  it('is what the agent verifies for a reply', () => {
    const reply = { arg: Uint8Array.of(0x44, 0x49, 0x44, 0x4c, 0, 0) };
    expect(nodeSignatureMessage({ status: 'replied', reply }, timestamp, requestId)).toEqual(
      agentMessage({ status: 'replied', reply, timestamp, request_id: requestId }),
    );
  });

  it('is what the agent verifies for a reject', () => {
    const reject = { reject_code: 5, reject_message: 'canister trapped', error_code: 'IC0503' };
    expect(nodeSignatureMessage({ status: 'rejected', ...reject }, timestamp, requestId)).toEqual(
      agentMessage({ status: 'rejected', ...reject, timestamp, request_id: requestId }),
    );
  });

  it('changes with the timestamp and the request id', () => {
    const outcome = { status: 'replied', reply: { arg: new Uint8Array(0) } } as const;
    const base = nodeSignatureMessage(outcome, timestamp, requestId);
    expect(nodeSignatureMessage(outcome, timestamp + 1n, requestId)).not.toEqual(base);
    expect(nodeSignatureMessage(outcome, timestamp, new Uint8Array(32))).not.toEqual(base);
  });

  it('ignores fields of the outcome that the reply body does not sign', () => {
    const outcome = { status: 'replied', reply: { arg: Uint8Array.of(1) }, extra: 'x' } as const;
    expect(nodeSignatureMessage(outcome, timestamp, requestId)).toEqual(agentMessage({ status: 'replied', reply: { arg: Uint8Array.of(1) }, timestamp, request_id: requestId }));
  });
});

describe('queryReplyHash', () => {
  it('is the part after the separator, hashed with the function given', () => {
    const outcome = { status: 'replied', reply: { arg: Uint8Array.of(7) } } as const;
    const hash = queryReplyHash(outcome, timestamp, requestId, createRequestIdOf(sha256));
    expect(nodeSignatureMessage(outcome, timestamp, requestId).subarray(IC_RESPONSE_DOMAIN_SEPARATOR.length)).toEqual(hash);
  });
});
