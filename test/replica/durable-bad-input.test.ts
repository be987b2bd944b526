/**
 * A state directory the replica must not use — damaged, another program's, written by a newer
 * replica, in use — stops `icws-replica` with a message naming the file and what to do, exit code
 * 2 and no stack trace; never a silent reset.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runToExit, startCli, stop } from '../support/replica-cli';
import { COUNTER, temporaryDir } from './durable-support';

/** @returns the exit code and stderr of a replica started on `stateDir` with the counter. */
function start(stateDir: string) {
  return runToExit(['--listen', '127.0.0.1:0', '--state-dir', stateDir, '--canister', `counter=${COUNTER}`]);
}

/** A state directory a replica used, holding a few rounds of counter state. */
async function usedStateDir(dir: string): Promise<string> {
  const started = await startCli(['--listen', '127.0.0.1:0', '--state-dir', dir, '--canister', `counter=${COUNTER}`]);
  await stop(started.child);
  return join(dir, 'state.sqlite');
}

function expectRefusal(result: { code: number | null; stderr: string }, ...parts: string[]): void {
  expect(result.code).toBe(2);
  for (const part of parts) expect(result.stderr).toContain(part);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain('Usage:');
}

describe('icws-replica --state-dir refuses', () => {
  const state = temporaryDir('icws-bad-state-');
  afterAll(() => state.remove());
  let n = 0;
  const fresh = () => {
    const dir = join(state.dir, `case-${++n}`);
    mkdirSync(dir);
    return dir;
  };

  test('a state.sqlite that is not a database', async () => {
    const dir = fresh();
    const file = join(dir, 'state.sqlite');
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(200));
    expectRefusal(await start(dir), `icws-replica: ${file} is not an SQLite database or is damaged`, 'move it away to start with empty canister state');
    expect(readFileSync(file, 'utf8')).toMatch(/^these are my notes/);
  });

  test('a damaged database', async () => {
    const dir = fresh();
    const file = await usedStateDir(dir);
    const db = new Database(file);
    const insert = db.prepare('INSERT INTO canisters (id, name, module_hash) VALUES (?, ?, NULL)');
    for (let i = 0; i < 2_000; i++) insert.run(Buffer.from(`id-${i}`), `canister-${i}`);
    db.close();
    const bytes = readFileSync(file);
    for (let i = 3 * 4096; i < 5 * 4096; i++) bytes[i] = i & 0xff;
    writeFileSync(file, bytes);
    expectRefusal(await start(dir), file, 'damaged', 'restore it from a backup, or move it away');
  });

  test("another application's SQLite database", async () => {
    const dir = fresh();
    const file = join(dir, 'state.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE users (name TEXT); INSERT INTO users VALUES (\'ada\')');
    db.close();
    expectRefusal(await start(dir), `${file} is not an icws replica's state database (it holds the tables users)`);
  });

  test('a database written by a newer replica', async () => {
    const dir = fresh();
    const file = await usedStateDir(dir);
    const db = new Database(file);
    db.prepare("UPDATE icws_meta SET value = '99' WHERE name = 'format_version'").run();
    db.close();
    expectRefusal(await start(dir), `${file} was written by a newer icws-replica (state format 99; this one reads up to 1)`, 'run the newer @icws/replica');
  });

  test('a state directory that is a file, or holds files that are not a replica', async () => {
    const file = join(state.dir, 'a-file');
    writeFileSync(file, 'x');
    expectRefusal(await start(file), `state directory ${file} is a file, not a folder`);
    const project = fresh();
    writeFileSync(join(project, 'package.json'), '{}');
    expectRefusal(await start(project), `state directory ${project} holds files that are not a replica's (package.json)`);
  });

  test('a damaged key file', async () => {
    const dir = fresh();
    await usedStateDir(dir);
    writeFileSync(join(dir, 'node-key.pem'), '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n');
    expectRefusal(await start(dir), `${join(dir, 'node-key.pem')} does not hold an Ed25519 private key (PEM); delete it to let the replica create a new node key`);
  });

  test('a state directory in use by a running replica', async () => {
    const dir = fresh();
    const running = await startCli(['--listen', '127.0.0.1:0', '--state-dir', dir, '--canister', `counter=${COUNTER}`]);
    try {
      expectRefusal(await start(dir), `${join(dir, 'state.sqlite')} is in use by another replica: stop that one, or give this one another --state-dir`);
    } finally {
      await stop(running.child);
    }
  });
});
