import { hashOfMap, IC_RESPONSE_DOMAIN_SEPARATOR } from '@dfinity/agent';
import type { CallOutcome } from '../canister/outcome';
import type { NodeKey } from './node-key';

/**
 * The body of a query reply, signed by the node key as agents verify it by default: Ed25519 over
 * the response domain separator and the hash of `{status, reply | reject fields, timestamp,
 * request_id}`.
 */
export function signedQueryResponse(outcome: CallOutcome, requestId: Uint8Array, nodeKey: NodeKey): Record<string, unknown> {
  // Wall-clock time: agents compare it with their own clock, whatever time the replica simulates.
  const timestamp = BigInt(Date.now()) * 1_000_000n;
  const body: Record<string, unknown> =
    outcome.status === 'replied'
      ? { status: 'replied', reply: { arg: outcome.reply } }
      : {
          status: 'rejected',
          reject_code: outcome.rejectCode,
          reject_message: outcome.rejectMessage,
          error_code: outcome.errorCode,
        };
  const hash = hashOfMap({ ...body, timestamp, request_id: requestId });
  const message = new Uint8Array(IC_RESPONSE_DOMAIN_SEPARATOR.length + hash.length);
  message.set(IC_RESPONSE_DOMAIN_SEPARATOR);
  message.set(hash, IC_RESPONSE_DOMAIN_SEPARATOR.length);
  const signature = nodeKey.sign(message);
  return { ...body, signatures: [{ timestamp, signature, identity: nodeKey.nodeId.toUint8Array() }] };
}
