/**
 * `send` and `ws_get_messages` cost O(log n) in the queue length, shown by counting work rather
 * than timing it: the SHA-256 hashes a send or a poll computes, and the size of a poll's witness,
 * stay nearly the same from 1,000 to 20,000 queued messages (O(n) would multiply them by 20).
 * What a call costs in milliseconds is printed by bench/cdk.js.
 */
import { Cbor } from '@icp-sdk/core/agent';
import type { Principal } from '@icp-sdk/core/principal';
import type { CanisterOutputCertifiedMessages } from '@icws/protocol';
import { lookupPath } from '../certification/lookup';
import type { HashTree } from '../certification/hash-tree';
import { newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

// Counts the hashes the certification computes (the module hashes constants as it loads).
jest.mock('../certification/sha256', () => {
  const actual = jest.requireActual<typeof import('../certification/sha256')>('../certification/sha256');
  const counter = { hashes: 0 };
  return {
    counter,
    sha256: (data: Uint8Array) => {
      counter.hashes++;
      return actual.sha256(data);
    },
  };
});
const { counter } = jest.requireMock<{ counter: { hashes: number } }>('../certification/sha256');

const SMALL = 1_000;
const LARGE = 20_000;
const BATCH = 50;
/** How many more levels the certification tree has with LARGE messages than with SMALL. */
const MORE_LEVELS = Math.ceil(Math.log2(LARGE / SMALL));

/** @returns how many hashes `body` computes. */
function hashesOf(body: () => void): number {
  const before = counter.hashes;
  body();
  return counter.hashes - before;
}

/** What one queue length costs: hashes per single send, hashes per poll, nodes per witness. */
interface Work {
  hashesPerSend: number;
  hashesPerPoll: number;
  witnessNodes: number;
}

/** @returns the work of sends and polls with `queued` messages in `gateway`'s queue. */
function measure(harness: WsTestCanister, client: Principal, gateway: Principal, queued: number): Work {
  const sends = Array.from({ length: 5 }, () => hashesOf(() => harness.send(client, client, 'one more')));
  let witnessNodes = 0;
  const polls = [0.1, 0.5, 0.9].map((at) => {
    let batch: CanisterOutputCertifiedMessages | undefined;
    const hashes = hashesOf(() => (batch = harness.getMessages(gateway, BigInt(Math.floor(at * queued)))));
    expect(batch!.messages).toHaveLength(BATCH);
    harness.verify(batch!);
    witnessNodes = Math.max(witnessNodes, countNodes(Cbor.decode<HashTree>(batch!.tree)));
    return hashes;
  });
  return { hashesPerSend: Math.max(...sends), hashesPerPoll: Math.max(...polls), witnessNodes };
}

describe('with long queues', () => {
  it(`send and ws_get_messages do about the same work with ${LARGE} messages queued as with ${SMALL}`, () => {
    const harness = WsTestCanister.create();
    const [client, gateway] = [newPrincipal(), newPrincipal()];
    harness.open(client, 1n, gateway);
    harness.sendCopies(client, SMALL - 1);
    const small = measure(harness, client, gateway, SMALL);
    for (let queued = harness.ws.metrics().gateways[0].queuedMessages; queued < LARGE; queued += 20_000) {
      harness.sendCopies(client, Math.min(20_000, LARGE - queued));
    }
    expect(harness.ws.metrics().gateways[0].queuedMessages).toBe(LARGE);
    const large = measure(harness, client, gateway, LARGE);

    // A few hashes and witness nodes more per extra tree level, not 20× as many.
    expect(small.hashesPerSend).toBeGreaterThan(0);
    expect(large.hashesPerSend).toBeLessThanOrEqual(small.hashesPerSend + 4 * MORE_LEVELS);
    expect(large.hashesPerPoll).toBeLessThanOrEqual(small.hashesPerPoll + 4 * MORE_LEVELS);
    // A witness of 50 adjacent keys: their labels and leaves, and O(log n) pruned siblings.
    expect(large.witnessNodes).toBeLessThanOrEqual(small.witnessNodes + 4 * MORE_LEVELS);
    expect(large.witnessNodes).toBeLessThan(3 * BATCH + 4 * Math.log2(LARGE));
  });

  it('witnesses exactly the polled messages, with none of their neighbours', () => {
    const harness = WsTestCanister.create();
    const [client, gateway] = [newPrincipal(), newPrincipal()];
    harness.open(client, 1n, gateway);
    harness.sendCopies(client, SMALL);
    const batch = harness.getMessages(gateway, 500n);
    const tree = Cbor.decode<HashTree>(batch.tree);
    const key = (nonce: number) => `${gateway.toText()}_${String(nonce).padStart(20, '0')}`;
    for (const message of batch.messages) expect(lookupPath(['websocket', message.key], tree).status).toBe('Found');
    for (const outside of [499, 500 + BATCH]) expect(lookupPath(['websocket', key(outside)], tree).status).not.toBe('Found');
  });
});

/** @returns how many nodes other than forks and empties `tree` has. */
function countNodes(tree: HashTree): number {
  switch (tree[0]) {
    case 1:
      return countNodes(tree[1]) + countNodes(tree[2]);
    case 2:
      return 1 + countNodes(tree[2]);
    case 3:
    case 4:
      return 1;
    default:
      return 0;
  }
}
