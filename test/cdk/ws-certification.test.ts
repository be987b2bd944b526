/**
 * The canister kit's certification as clients check it, on the real replica: each
 * `ws_get_messages` batch carries a certificate signed by the replica's BLS root key that
 * @dfinity/agent verifies, whose `certified_data` the batch's witness reconstructs to, and whose
 * leaves are the hashes of the messages. The kit's unit tests check the same on a fake context,
 * short of the signature.
 */
import type { Principal } from '@icp-sdk/core/principal';
import { decodeOutput, newPrincipal, WsHarness } from '../support/ws-harness';

const MAX = 10;
const ACK_MS = 300_000;
// Three minutes in the past, so certificates stay within the agent's ±5 minutes after the clock
// moves one ack interval (5 minutes) ahead.
const START_MS = Date.now() - 3 * 60_000;

let harness: WsHarness;
let gateway: Principal;
let client: Principal;
beforeAll(async () => {
  harness = await WsHarness.create({ maxNumberOfReturnedMessages: MAX }, START_MS);
  [gateway, client] = [newPrincipal(), newPrincipal()];
  await harness.open(client, 1n, gateway);
  expect(await harness.send(newPrincipal(), client, ...Array.from({ length: 29 }, (_, i) => `test${i + 1}`))).toEqual({ Ok: null });
});
afterAll(() => harness.close());

describe('certified ws_get_messages on the replica', () => {
  it('signs every batch: the certificate verifies against the root key and each content hashes to its leaf', async () => {
    for (let nonce = 0n; nonce < 30n; nonce += BigInt(MAX)) {
      const batch = await harness.getMessages(gateway, nonce);
      expect(batch.messages).toHaveLength(MAX);
      await expect(harness.verify(batch)).resolves.toBeUndefined();
    }
  });

  it('yields batches that fail verification when the certificate, the tree or a content is tampered with', async () => {
    const batch = await harness.getMessages(gateway, 0n);
    const cert = batch.cert.slice();
    cert[cert.length - 10] ^= 1;
    await expect(harness.verify({ ...batch, cert })).rejects.toThrow();
    const tree = batch.tree.slice();
    tree[tree.length - 1] ^= 1;
    await expect(harness.verify({ ...batch, tree })).rejects.toThrow(/does not match the certified data/);
    const content = batch.messages[2].content.slice();
    content[content.length - 1] ^= 1;
    await expect(harness.verify({ ...batch, messages: [{ ...batch.messages[2], content }] })).rejects.toThrow(/does not hash to its leaf/);
  });

  it('certifies the acks a timer queues one ack interval later', async () => {
    await harness.clock.advance(ACK_MS);
    const batch = await harness.getMessages(gateway, 30n);
    expect(decodeOutput(batch.messages[0]).service).toEqual({ AckMessage: { last_incoming_sequence_num: 0n } });
    await harness.verify(batch, { disableTimeVerification: true });
  });
});
