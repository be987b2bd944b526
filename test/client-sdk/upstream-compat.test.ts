/**
 * Wire compatibility: the published upstream client, `ic-websocket-js@0.5.0`, unmodified (with its
 * own @dfinity/agent 2.x), plays ping-pong through our gateway against our ping-pong example,
 * verifying our certificates with its own code.
 */
import { methods } from '../../examples/ping-pong/idl';
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
});
