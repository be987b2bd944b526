import { verify } from 'node:crypto';
import { hashOfMap, IC_RESPONSE_DOMAIN_SEPARATOR } from '@icp-sdk/core/agent';
import { rejected, RejectCode, type CallOutcome } from './canister/outcome';
import { NodeKey } from './node-key';
import { QueryResponseSigner, REPLY_TIMESTAMP_STEP_NS } from './query-response';

const requestId = new Uint8Array(32).fill(4);
const replied: CallOutcome = { status: 'replied', reply: Uint8Array.of(0x44, 0x49, 0x44, 0x4c, 0, 1, 0x7d, 5) };

/** A signer on a fixed clock that counts the signatures it asks the node key for. */
function signerAt(nowNs: () => bigint) {
  const nodeKey = NodeKey.generate();
  const signed: Uint8Array[] = [];
  const signer = new QueryResponseSigner(
    nodeKey.nodeId,
    async (message) => {
      signed.push(message);
      return nodeKey.sign(message);
    },
    nowNs,
  );
  return { nodeKey, signer, signed };
}

/** What agents check: the node's Ed25519 signature over the separator and the agent's hashOfMap. */
function agentAccepts(nodeKey: NodeKey, hashed: Record<string, unknown>, signature: Uint8Array): boolean {
  const message = Buffer.concat([IC_RESPONSE_DOMAIN_SEPARATOR, hashOfMap(hashed)]);
  return verify(null, message, { key: Buffer.from(nodeKey.publicKeyDer), format: 'der', type: 'spki' }, signature);
}

describe('QueryResponseSigner', () => {
  describe('#sign', () => {
    it('signs a reply so that the agent verifies it, with the node id as identity', async () => {
      const { nodeKey, signer } = signerAt(() => 1_763_700_000_123_456_789n);
      const body = await signer.sign(replied, requestId);
      expect(body).toMatchObject({ status: 'replied', reply: { arg: replied.reply } });
      const [{ timestamp, signature, identity }] = body.signatures;
      expect(identity).toEqual(nodeKey.nodeId.toUint8Array());
      expect(agentAccepts(nodeKey, { status: 'replied', reply: { arg: replied.reply }, timestamp, request_id: requestId }, signature)).toBe(true);
    });

    it('signs a reject so that the agent verifies it', async () => {
      const { nodeKey, signer } = signerAt(() => 1_763_700_000_000_000_000n);
      const outcome = rejected(RejectCode.CanisterError, 'IC0503', 'the canister trapped');
      const body = await signer.sign(outcome, requestId);
      if (body.status !== 'rejected') throw new Error('expected a reject');
      const [{ timestamp, signature }] = body.signatures;
      const hashed = { status: 'rejected', reject_code: body.reject_code, reject_message: body.reject_message, error_code: body.error_code, timestamp, request_id: requestId };
      expect(agentAccepts(nodeKey, hashed, signature)).toBe(true);
    });

    it('rounds the timestamp down to the step and signs a repeated reply once per step', async () => {
      let now = 1_763_700_000_250_000_000n;
      const { signer, signed } = signerAt(() => now);
      const first = await signer.sign(replied, requestId);
      now += 500_000_000n;
      const second = await signer.sign(replied, requestId);
      expect(first.signatures[0].timestamp).toBe(1_763_700_000_000_000_000n);
      expect(second).toEqual(first);
      expect(signed).toHaveLength(1);

      now += REPLY_TIMESTAMP_STEP_NS;
      const third = await signer.sign(replied, requestId);
      expect(third.signatures[0].timestamp).toBe(1_763_700_001_000_000_000n);
      expect(signed).toHaveLength(2);
    });

    it('signs again when the reply or the request differ', async () => {
      const { signer, signed } = signerAt(() => 1_763_700_000_000_000_000n);
      await signer.sign(replied, requestId);
      await signer.sign({ status: 'replied', reply: Uint8Array.of(1) }, requestId);
      await signer.sign(replied, new Uint8Array(32).fill(5));
      expect(signed).toHaveLength(3);
    });
  });
});
