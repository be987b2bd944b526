/**
 * What an application sees of certification, end to end (embedded replica, gateway, ping-pong
 * canister): each message event carries its sequence number and its certificate's time, and the
 * `blsVerifier` option picks who checks the certificates, with the same outcome on every path.
 */
import { generateRandomIdentity, IcWebSocketMessageEvent, type BlsVerifier } from '@icws/client-sdk';
import { appMessage, nextEvent, startStack, type Stack } from '../../../test/support/icws-stack';
import type { AppMessage } from '../../../examples/ping-pong/idl';
import { NobleBlsVerifier } from './bls-noble';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('IcWebSocketMessageEvent', () => {
  it("carries the message's sequence number and its certificate's time", async () => {
    const startedAt = Date.now();
    const ws = stack.client(generateRandomIdentity());
    const events: Array<IcWebSocketMessageEvent<AppMessage>> = [];
    let received: () => void = () => undefined;
    ws.onmessage = (event) => {
      events.push(event);
      received();
    };
    for (let round = 1; round <= 3; round++) {
      const reply = new Promise<void>((resolve) => (received = () => events.length === round && resolve()));
      if (round > 1) ws.send(appMessage(`round ${round}`));
      await reply;
    }
    ws.close();
    expect(events.map((e) => e.data.text)).toEqual(['ping', 'round 2 ping', 'round 3 ping']);
    // 1 is the open message; the canister's acks, if any came between, take numbers too
    const numbers = events.map((e) => e.sequenceNum);
    expect(numbers[0]).toBe(2n);
    expect(numbers[1]! > numbers[0]! && numbers[2]! > numbers[1]!).toBe(true);
    for (const event of events) {
      expect(event.certificateTimeMs).toBeGreaterThan(startedAt - 60_000);
      expect(event.certificateTimeMs).toBeLessThanOrEqual(Date.now());
    }
    // messages certified after the first ask came back with later certificates
    expect(events[2]!.certificateTimeMs).toBeGreaterThan(events[0]!.certificateTimeMs);
  });
});

describe('the blsVerifier option', () => {
  async function pingPong(blsVerifier: NonNullable<Parameters<Stack['config']>[1]>['blsVerifier']): Promise<string[]> {
    const ws = stack.client(generateRandomIdentity(), { blsVerifier });
    const texts: string[] = [];
    const messages = ws[Symbol.asyncIterator]();
    await ws.opened;
    texts.push((await messages.next()).value.text);
    ws.send(appMessage('hello'));
    texts.push((await messages.next()).value.text);
    ws.close();
    return texts;
  }

  it.each(['worker', 'wasm', 'noble'] as const)('plays ping-pong with certificates checked by %s', async (name) => {
    expect(await pingPong(name)).toEqual(['ping', 'hello ping']);
  });

  it("takes the application's own verifier", async () => {
    const noble = new NobleBlsVerifier();
    const calls: number[] = [];
    const counting: BlsVerifier = { backend: 'counting', verify: (...args) => (calls.push(args[1].length), noble.verify(...args)) };
    expect(await pingPong(counting)).toEqual(['ping', 'hello ping']);
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls)).toEqual(new Set([48])); // signatures on G1
  });

  it('closes the connection when the verifier refuses a certificate', async () => {
    const refusing: BlsVerifier = { backend: 'refusing', verify: async () => false };
    const ws = stack.client(generateRandomIdentity(), { blsVerifier: refusing });
    const closed = await nextEvent(ws, 'close');
    expect(closed.code).toBe(4002);
    expect(closed.error?.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
    expect(closed.error?.message).toContain('its signature is not the one over its tree');
  });
});
