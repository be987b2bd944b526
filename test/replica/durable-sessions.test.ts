/**
 * Sessions survive a replica restart: a client streamed numbered messages loses its replica to
 * SIGKILL mid-stream; the replica starts again on the same state directory and port, and the
 * client (reconnect on), still connected to its gateway, notices the silence within its bound (the
 * canister's ack interval plus the latency bound, short here), reconnects and resumes its session: every message the canister certified arrives once
 * and in order, those not yet certified at the kill never do, the sequence numbers go on without
 * a gap, and each message the client sent reaches the canister once.
 */
import { join } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { createWsConfig, generateRandomIdentity, IcWebSocket, type IcWebSocketConfig } from '@icws/client-sdk';
import { wsServiceMethods } from '@icws/protocol';
import { startGatewayProcess } from '../support/gateway-process';
import { startCli, stop } from '../support/replica-cli';
import { actorOf, temporaryDir } from './durable-support';

const MODULE = join(__dirname, 'fixtures/durable-stream-canister.ts');
const StreamMessage = IDL.Record({ n: IDL.Nat64, text: IDL.Text });
const streamIdl: IDL.InterfaceFactory = () =>
  IDL.Service({
    ...wsServiceMethods(StreamMessage),
    push: IDL.Func([IDL.Principal, IDL.Nat64], [IDL.Bool], []),
    received: IDL.Func([], [IDL.Vec(IDL.Text)], ['query']),
    events: IDL.Func([], [IDL.Vec(IDL.Text)], ['query']),
  });
interface Stream {
  push(to: Principal, n: bigint): Promise<boolean>;
  received(): Promise<string[]>;
  events(): Promise<string[]>;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a replica restart with durable state', () => {
  const state = temporaryDir('icws-durable-sessions-');
  afterAll(() => state.remove());

  test('is resumed: certified messages once and in order, sequence numbers going on, the client’s messages once', async () => {
    const first = await startCli(['--listen', '127.0.0.1:0', '--state-dir', state.dir, '--canister', `stream=${MODULE}`]);
    const port = new URL(first.url).port;
    const canisterId = /^canister stream (\S+)$/.exec(first.lines[0]!)![1]!;
    const gateway = await startGatewayProcess({ icNetworkUrl: first.url });
    let second: Awaited<ReturnType<typeof startCli>> | undefined;
    const ws = new IcWebSocket<never, { n: bigint; text: string }>(
      gateway.url,
      undefined,
      createWsConfig({
        canisterId,
        idlFactory: streamIdl,
        identity: generateRandomIdentity(),
        networkUrl: first.url,
        reconnect: { minDelayMs: 50, maxDelayMs: 500 },
        ackMessageIntervalMs: 1_000,
        latencyBoundMs: 1_500,
      }) as IcWebSocketConfig<never>,
    );
    try {
      const numbers: bigint[] = [];
      const seen: string[] = [];
      ws.onmessage = (event) => numbers.push(event.data.n);
      ws.onresumed = (event) => seen.push(`resumed ${event.recovered}`);
      ws.onnewsession = (event) => seen.push(`new session: ${event.reason}`);
      await ws.opened;
      const principal = ws.getPrincipal();
      for (let i = 1; i <= 3; i++) ws.send({ n: 0n, text: `before ${i}` });

      let canister = await actorOf<Stream>(first.url, canisterId, streamIdl);
      const certified: bigint[] = [];
      let inFlight: bigint | undefined;
      const exited = new Promise<void>((resolve) => first.child.once('exit', () => resolve()));
      for (let n = 1n; n <= 60n; n++) {
        if (n === 41n) {
          // Certified ones are on their way, later ones not yet sent.
          const pending = canister.push(principal, n).then(
            (ok) => ok && certified.push(n),
            () => undefined,
          );
          inFlight = n;
          first.child.kill('SIGKILL');
          await exited;
          await pending;
          break;
        }
        expect(await canister.push(principal, n)).toBe(true);
        certified.push(n);
      }
      ws.send({ n: 0n, text: 'while down' });

      // Resumes before the kill are counted in the first replica's heap, which the restart drops.
      const resumedBefore = seen.length;
      second = await startCli(['--listen', `127.0.0.1:${port}`, '--state-dir', state.dir, '--canister', `stream=${MODULE}`]);
      expect(second.lines[0]).toBe(`canister stream ${canisterId}`);
      canister = await actorOf<Stream>(second.url, canisterId, streamIdl);
      await until(() => seen.length > 0, 'the client to resume');
      expect(seen[0]).toMatch(/^resumed \d+$/);
      for (let n = 101n; n <= 110n; n++) {
        expect(await canister.push(principal, n)).toBe(true);
        certified.push(n);
      }
      await until(() => numbers.includes(110n), 'the messages after the restart');
      const texts = ['before 1', 'before 2', 'before 3', 'while down'];
      await until(async () => (await canister.received()).length >= texts.length, 'the client’s messages');
      await new Promise((resolve) => setTimeout(resolve, 300)); // room for a duplicate to show up

      // The push in flight at the kill may have been certified before it: then it is delivered too.
      const delivered = numbers.filter((n) => n === inFlight);
      expect(numbers).toEqual([...certified.filter((n) => n !== inFlight || delivered.length > 0)].sort((a, b) => (a < b ? -1 : 1)));
      expect(await canister.received()).toEqual(texts);
      // Never a new session. On a loaded machine a keep-alive can miss the canister's timeout, which
      // closes the connection (KeepAliveTimeout) and the client resumes once more: harmless, as the
      // messages above show.
      expect(seen.length).toBeGreaterThan(resumedBefore);
      for (const event of seen) expect(event).toMatch(/^resumed \d+$/);
      const events = await canister.events();
      expect(events).toHaveLength(seen.length - resumedBefore);
      for (const event of events) expect(event).toMatch(/^resume \d+$/);
    } finally {
      ws.close();
      await gateway.stop('SIGKILL');
      if (second !== undefined) await stop(second.child);
      else if (first.child.exitCode === null) first.child.kill('SIGKILL');
    }
  }, 90_000);
});
