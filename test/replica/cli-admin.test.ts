/**
 * `icws-replica --init` and `--admin-listen`, from another process: a canister installed with
 * Candid init text, whose timer fires when a test moves the replica's clock over HTTP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { runToExit, startCli, stop } from '../support/replica-cli';

const TICKER = join(__dirname, 'fixtures/ticker-canister.ts');
const PING_PONG = join(__dirname, '../../examples/ping-pong/canister.ts');

interface Ticker {
  ticks(): Promise<bigint>;
  interval_ms(): Promise<bigint>;
}

describe('icws-replica --init and --admin-listen', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'icws-replica-admin-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  test('installs a canister with Candid init text, and fires its timer when the clock is advanced over HTTP', async () => {
    const started = await startCli([
      '--listen', '127.0.0.1:0', '--state-dir', stateDir, '--admin-listen', '127.0.0.1:0',
      '--canister', `ticker=${TICKER}`, '--init', 'ticker=(record { interval_ms = 2_000 : nat64 })',
    ]);
    try {
      const adminLine = started.lines.find((line) => line.startsWith('admin API listening on '));
      expect(adminLine).toBeDefined();
      const admin = new URL(adminLine!.slice('admin API listening on '.length));
      const agent = await HttpAgent.create({ host: started.url, shouldFetchRootKey: true });
      const ticker = Actor.createActor<Ticker>(
        ({ IDL }) => IDL.Service({ ticks: IDL.Func([], [IDL.Nat], ['query']), interval_ms: IDL.Func([], [IDL.Nat64], ['query']) }),
        { agent, canisterId: 'bkyz2-fmaaa-aaaaa-qaaaq-cai' },
      );
      expect(await ticker.interval_ms()).toBe(2_000n);

      const time = (await (await fetch(new URL('/v1/time', admin))).json()) as { nanosSinceEpoch: string; clock: string };
      expect(time.clock).toBe('manual');
      const advance = (ms: number) => fetch(new URL('/v1/time/advance', admin), { method: 'POST', body: JSON.stringify({ ms }) });
      expect((await advance(1_999)).status).toBe(200);
      expect(await ticker.ticks()).toBe(0n);
      expect((await advance(1)).status).toBe(200);
      expect(await ticker.ticks()).toBe(1n);
    } finally {
      expect(await stop(started.child)).toBe(0);
    }
  });

  test('installs ping-pong with the init text of its settings', async () => {
    const started = await startCli([
      '--listen', '127.0.0.1:0', '--state-dir', stateDir,
      '--canister', `ping_pong=${PING_PONG}`, '--init', 'ping_pong=(opt record { send_ack_interval_ms = 1000 : nat64; keep_alive_timeout_ms = 500 })',
    ]);
    expect(started.lines[0]).toBe('canister ping_pong bkyz2-fmaaa-aaaaa-qaaaq-cai');
    expect(await stop(started.child)).toBe(0);
  });

  test.each([
    [['--canister', `ticker=${TICKER}`, '--init', 'ticker=(record { interval_ms = "soon" })'], '--init: canister "ticker" takes (record {interval_ms:nat64}): expected a number of type nat64'],
    [['--canister', `ticker=${TICKER}`, '--init', 'ticker=()'], 'argument 1 of type record {interval_ms:nat64} is missing'],
    [['--canister', `ticker=${TICKER}`, '--init', 'other=()'], '--init other=…: there is no --canister other=PATH'],
    [['--canister', `ticker=${TICKER}`, '--init', 'ticker'], '--init ticker: expected NAME=CANDID'],
    [['--canister', `c=${join(__dirname, '../../examples/counter/canister.ts')}`, '--init', 'c=(1)'], 'canister "c" declares no Candid init types'],
    [['--canister', `ticker=${TICKER}`, '--admin-listen', '0.0.0.0:0', '--init', 'ticker=(record { interval_ms = 1 })'], 'listens only on loopback'],
    [['--canister', `ticker=${TICKER}`, '--clock', 'manual'], '--clock manual: nothing could move the time'],
    [['--canister', `ticker=${TICKER}`, '--clock', 'sundial'], '--clock sundial: expected system or manual'],
    [['--canister', `ticker=${TICKER}`, '--min-round-interval-ms', 'fast'], '--min-round-interval-ms fast: expected milliseconds >= 0'],
  ])('exits with code 2 and says what is wrong for %j', async (args, message) => {
    const { code, stderr } = await runToExit(['--listen', '127.0.0.1:0', '--state-dir', stateDir, ...args]);
    expect(stderr).toContain(message);
    expect(code).toBe(2);
  });
});
