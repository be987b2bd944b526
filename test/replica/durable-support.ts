/**
 * For the durable-state tests: canister modules written to temporary folders (plain CommonJS that
 * requires the kit by absolute path, so the replica's child process loads it from anywhere),
 * agents of callers, and waiting for a line the replica prints.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, HttpAgent, type ActorSubclass } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import type { IDL } from '@icp-sdk/core/candid';
import type { StartedReplicaCli } from '../support/replica-cli';

const ROOT = join(__dirname, '../..');
const KIT = join(ROOT, 'packages/backend-cdk');
const CANDID = join(ROOT, 'node_modules/@icp-sdk/core/lib/cjs/candid/index.js');

/** The counter example, whose count is a stable cell. */
export const COUNTER = join(ROOT, 'examples/counter/canister.ts');

/** @returns a new temporary folder and a function that removes it. */
export function temporaryDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes a canister module to `path`: `factory` is the source of the function given to
 * `defineCanister`, which sees `IDL` and the kit's exports (`update`, `query`, `StableCell`, …).
 */
export function writeCanister(path: string, factory: string): void {
  writeFileSync(
    path,
    `const { IDL } = require(${JSON.stringify(CANDID)});\n` +
      `const { defineCanister, update, query, upgradeHooks, StableCell, StableMap, StableVec } = require(${JSON.stringify(KIT)});\n` +
      `module.exports = defineCanister(${factory});\n`,
  );
}

/** @returns an actor of `canisterId` at `url` for a fresh Ed25519 caller, whose agent does not retry. */
export async function actorOf<T>(url: string, canisterId: string, idl: IDL.InterfaceFactory): Promise<ActorSubclass<T>> {
  const agent = await HttpAgent.create({ host: url, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true, retryTimes: 0 });
  return Actor.createActor<T>(idl, { agent, canisterId });
}

/** The counter's interface, plus `version` for the modules the upgrade tests write. */
export const counterIdl: IDL.InterfaceFactory = ({ IDL }) =>
  IDL.Service({
    increment: IDL.Func([], [IDL.Nat], []),
    get: IDL.Func([], [IDL.Nat], ['query']),
    version: IDL.Func([], [IDL.Text], ['query']),
    hooks: IDL.Func([], [IDL.Vec(IDL.Text)], ['query']),
  });

/** What {@link counterIdl} offers. */
export interface Counter {
  increment(): Promise<bigint>;
  get(): Promise<bigint>;
  version(): Promise<string>;
  hooks(): Promise<string[]>;
}

/**
 * The source of a counter factory at `version`: the count is stable; `hooks` lists the upgrade
 * hooks that ran on this instance (heap) and those the previous one saved (stable).
 */
export function versionedCounter(version: string): string {
  return `(ic) => {
    const count = StableCell.open(ic, 'count', IDL.Nat, 0n);
    const log = StableVec.open(ic, 'hook_log', IDL.Text);
    const ran = [];
    return {
      increment: update([], [IDL.Nat], () => {
        count.set(count.get() + 1n);
        return count.get();
      }),
      get: query([], [IDL.Nat], () => count.get()),
      version: query([], [IDL.Text], () => ${JSON.stringify(version)}),
      hooks: query([], [IDL.Vec(IDL.Text)], () => [...log, ...ran]),
      ...upgradeHooks({
        preUpgrade: () => log.push(${JSON.stringify(`preUpgrade of ${version}`)}),
        postUpgrade: () => ran.push(${JSON.stringify(`postUpgrade of ${version}`)}),
      }),
    };
  }`;
}

/**
 * @returns once the replica has printed a line matching `pattern`, among its lines from index
 *   `since` on (all of them by default)
 * @throws when it exits first
 */
export function lineMatching(started: StartedReplicaCli, pattern: RegExp, since = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = started.lines.slice(since).find((l) => pattern.test(l));
      if (line !== undefined) {
        cleanUp();
        resolve(line);
      }
    };
    const exited = (code: number | null) => {
      cleanUp();
      reject(new Error(`icws-replica exited with ${code} before printing ${pattern}; it printed:\n${started.lines.join('\n')}`));
    };
    const cleanUp = () => {
      started.child.stdout.off('data', onData);
      started.child.off('exit', exited);
    };
    // Lines are split by the reader of replica-cli; data events come just before each batch of them.
    const onData = () => setImmediate(check);
    started.child.stdout.on('data', onData);
    started.child.once('exit', exited);
    check();
  });
}
