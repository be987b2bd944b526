/**
 * `icws-replica --watch`: an edited canister module is reloaded as an upgrade, so the development
 * loop keeps its data; a module that does not load leaves the old one running.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { startCli, stop } from '../support/replica-cli';
import { actorOf, counterIdl, lineMatching, temporaryDir, versionedCounter, writeCanister, type Counter } from './durable-support';

describe('icws-replica --watch', () => {
  test('reloads an edited module as an upgrade, running its hooks on the stable memory it had', async () => {
    const { dir, remove } = temporaryDir('icws-watch-');
    const module = join(dir, 'counter.js');
    writeCanister(module, versionedCounter('v1'));
    const started = await startCli(['--listen', '127.0.0.1:0', '--state-dir', join(dir, 'state'), '--watch', '--canister', `counter=${module}`]);
    try {
      const id = started.lines[0].split(' ')[2];
      const counter = await actorOf<Counter>(started.url, id, counterIdl);
      await counter.increment();
      await counter.increment();
      expect(await counter.version()).toBe('v1');

      let mark = started.lines.length;
      writeCanister(module, versionedCounter('v2'));
      await lineMatching(started, new RegExp(`^reloaded: canister counter ${id} upgraded from ${module}, stable memory kept$`), mark);
      expect(await counter.version()).toBe('v2');
      expect(await counter.get()).toBe(2n);
      expect(await counter.hooks()).toEqual(['preUpgrade of v1', 'postUpgrade of v2']);

      mark = started.lines.length;
      writeFileSync(module, 'module.exports = ;\n');
      await lineMatching(started, /^reload failed: canister counter keeps its module, .* does not load: /, mark);
      expect(await counter.increment()).toBe(3n);
      expect(await counter.version()).toBe('v2');

      mark = started.lines.length;
      writeCanister(module, versionedCounter('v3'));
      await lineMatching(started, /^reloaded: canister counter /, mark);
      expect(await counter.version()).toBe('v3');
      expect(await counter.get()).toBe(3n);
    } finally {
      await stop(started.child);
      remove();
    }
  }, 30_000);

  test('reloads a module when a local file it imports is edited', async () => {
    const { dir, remove } = temporaryDir('icws-watch-import-');
    const module = join(dir, 'canister.js');
    const imported = join(dir, 'version.js');
    writeFileSync(imported, "module.exports = 'v1';\n");
    writeCanister(module, "((version) => () => ({ version: query([], [IDL.Text], () => version) }))(require('./version.js'))");
    const started = await startCli(['--listen', '127.0.0.1:0', '--state-dir', join(dir, 'state'), '--watch', '--canister', `versioned=${module}`]);
    try {
      const id = started.lines[0].split(' ')[2];
      const canister = await actorOf<Pick<Counter, 'version'>>(started.url, id, counterIdl);
      expect(await canister.version()).toBe('v1');

      const mark = started.lines.length;
      writeFileSync(imported, "module.exports = 'v2';\n");
      await lineMatching(started, new RegExp(`^reloaded: canister versioned ${id} upgraded from ${module}, stable memory kept$`), mark);
      expect(await canister.version()).toBe('v2');
    } finally {
      await stop(started.child);
      remove();
    }
  }, 30_000);
});
