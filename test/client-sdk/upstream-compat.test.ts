/**
 * Wire compatibility: the published upstream client, `ic-websocket-js@0.5.0`, unmodified (with its
 * own @dfinity/agent 2.x), plays ping-pong through our gateway against our ping-pong example,
 * verifying our certificates with its own code.
 */
import { IDL } from '@icp-sdk/core/candid';
import { AppMessage, methods } from '../../examples/ping-pong/idl';
import { startStack, type Stack } from '../support/icws-stack';
import { loadUpstream, upstreamActor, type Upstream } from '../support/upstream-client';

let stack: Stack;
let upstream: Upstream;
beforeAll(async () => {
  upstream = loadUpstream();
  stack = await startStack();
});
afterAll(() => stack?.close());

describe('ic-websocket-js@0.5.0 (upstream client)', () => {
  it('plays ping-pong through our gateway with our canister, then closes', async () => {
    const actor = upstreamActor(upstream, methods, stack.canisterId, stack.replica.url.origin);
    const ws = new upstream.IcWebSocket(
      stack.gateway.url.href,
      undefined,
      upstream.createWsConfig({
        canisterId: stack.canisterId.toText(),
        canisterActor: actor,
        identity: upstream.generateRandomIdentity(),
        networkUrl: stack.replica.url.origin,
      }),
    );
    const texts: string[] = [];
    const errors: unknown[] = [];
    let onText: ((text: string) => void) | undefined;
    ws.onmessage = (event: { data: { text: string } }) => {
      texts.push(event.data.text);
      onText?.(event.data.text);
    };
    ws.onerror = (event: unknown) => errors.push(event);
    const nextText = () => new Promise<string>((resolve) => (onText = resolve));

    const opened = new Promise<void>((resolve) => (ws.onopen = () => resolve()));
    const ping = nextText();
    await opened;
    expect(ws.isConnectionEstablished()).toBe(true);
    expect(await ping).toBe('ping');
    for (let round = 1; round <= 5; round++) {
      const reply = nextText();
      ws.send({ text: `upstream ${round}`, timestamp: BigInt(Date.now()) * 1_000_000n });
      expect(await reply).toBe(`upstream ${round} ping`);
    }
    const closed = new Promise<{ code: number }>((resolve) => (ws.onclose = resolve));
    ws.close();
    expect((await closed).code).toBe(1000);
    expect(texts).toEqual(['ping', ...[1, 2, 3, 4, 5].map((n) => `upstream ${n} ping`)]);
    expect(errors).toEqual([]);
  });

  it('checks the witnesses of a burst, which the gateway cuts down per message in large batches', async () => {
    const identity = upstream.generateRandomIdentity();
    const actor = upstreamActor(upstream, methods, stack.canisterId, stack.replica.url.origin);
    const ws = new upstream.IcWebSocket(
      stack.gateway.url.href,
      undefined,
      upstream.createWsConfig({ canisterId: stack.canisterId.toText(), canisterActor: actor, identity, networkUrl: stack.replica.url.origin }),
    );
    const texts: string[] = [];
    const errors: unknown[] = [];
    // The first poll after the queue was drained takes 50 (the CDK's default); the next asks for
    // more, and its tree, of a hundred keys, is cut down for each message.
    const count = 150;
    const all = new Promise<void>((resolve) => {
      ws.onmessage = (event: { data: { text: string } }) => {
        texts.push(event.data.text);
        if (texts.length === count + 1) resolve();
      };
    });
    ws.onerror = (event: unknown) => errors.push(event);
    await new Promise<void>((resolve) => (ws.onopen = () => resolve()));
    const principal = identity.getPrincipal();
    // All in one round: the messages are queued together.
    const arg = (i: number) => new Uint8Array(IDL.encode([IDL.Principal, IDL.Vec(IDL.Nat8)], [principal, IDL.encode([AppMessage], [{ text: `burst ${i}`, timestamp: 0n }])]));
    await Promise.all(Array.from({ length: count }, (_, i) => stack.replica.replica.update(stack.canisterId, 'send', arg(i), principal)));
    await all;
    expect(texts.slice(1).sort()).toEqual(Array.from({ length: count }, (_, i) => `burst ${i}`).sort());
    expect(errors).toEqual([]);
    ws.close();
  }, 90_000);
});
