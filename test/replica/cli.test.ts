/** `icws-replica` hosts canister modules given on the command line. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, Cbor, HttpAgent } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { runToExit, startCli, stop } from '../support/replica-cli';

const COUNTER = join(__dirname, '../../examples/counter/canister.ts');

describe('icws-replica', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'icws-replica-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  test('prints each canister and the URL, serves them, and keeps its root key across restarts', async () => {
    const args = ['--listen', '127.0.0.1:0', '--state-dir', stateDir, '--canister', `counter=${COUNTER}`, '--canister', `pinned=${COUNTER}@rrkah-fqaaa-aaaaa-aaaaq-cai`];
    const first = await startCli(args);
    expect(first.lines).toEqual([
      'canister counter bkyz2-fmaaa-aaaaa-qaaaq-cai',
      'canister pinned rrkah-fqaaa-aaaaa-aaaaq-cai',
      `replica listening on ${first.url}`,
    ]);
    const agent = await HttpAgent.create({ host: first.url, shouldFetchRootKey: true });
    const counter = Actor.createActor<{ increment(): Promise<bigint> }>(({ IDL }) => IDL.Service({ increment: IDL.Func([], [IDL.Nat], []) }), {
      agent,
      canisterId: 'rrkah-fqaaa-aaaaa-aaaaq-cai',
    });
    expect(await counter.increment()).toBe(1n);
    expect(await stop(first.child)).toBe(0);

    const second = await startCli(args);
    const again = await HttpAgent.create({ host: second.url, shouldFetchRootKey: true });
    expect(again.rootKey).toEqual(agent.rootKey);
    await stop(second.child);
  });

  test.each([
    [['--canister', 'counter'], '--canister counter: expected NAME=PATH[@ID]', 'with'],
    [['--listen', 'localhost', '--canister', `c=${COUNTER}`], '--listen localhost: expected HOST:PORT', 'with'],
    [['--listen', '127.0.0.1:0', '--no-such-flag'], "Unknown option '--no-such-flag'", 'with'],
    [['--listen', '127.0.0.1:0', '--canister', 'c=./does-not-exist.js'], 'cannot load canister module', 'without'],
    [['--listen', '127.0.0.1:0', '--canister', `c=${COUNTER}@2vxsx-fae`], '2vxsx-fae is not a canister id', 'without'],
  ])('exits with code 2 and says what is wrong for %j, %s the usage', async (args, message, usage) => {
    const { code, stderr } = await runToExit(['--state-dir', stateDir, ...args]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    // The usage text helps with a wrong command line only; after a start that failed it buries the reason.
    expect(stderr.includes('Usage: icws-replica')).toBe(usage === 'with');
  });

  /** @returns the subnet id of a read_state certificate's delegation, or undefined without one. */
  async function delegatedSubnet(url: string): Promise<string | undefined> {
    const agent = await HttpAgent.create({ host: url, shouldFetchRootKey: true });
    const { certificate } = await agent.readState({ canisterId: Principal.fromText('bkyz2-fmaaa-aaaaa-qaaaq-cai') }, { paths: [[new TextEncoder().encode('time')]] });
    const { delegation } = Cbor.decode<{ delegation?: { subnet_id: Uint8Array } }>(new Uint8Array(certificate));
    return delegation && Principal.fromUint8Array(new Uint8Array(delegation.subnet_id)).toText();
  }

  test('delegates to the same subnet across restarts, and signs flat with --flat-certificates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'icws-replica-'));
    try {
      const args = ['--listen', '127.0.0.1:0', '--state-dir', dir, '--canister', `counter=${COUNTER}`];
      const first = await startCli(args);
      const subnet = await delegatedSubnet(first.url);
      await stop(first.child);
      const second = await startCli(args);
      expect(subnet).toMatch(/-/);
      expect(await delegatedSubnet(second.url)).toBe(subnet);
      await stop(second.child);
      const flat = await startCli([...args, '--flat-certificates']);
      expect(await delegatedSubnet(flat.url)).toBeUndefined();
      await stop(flat.child);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
