import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Principal } from '@icp-sdk/core/principal';
import { describeError } from '@icws/protocol';
import { currentModuleHash, loadCanisterFile, type LoadedCanisterModule } from './load-module';
import type { Replica } from './replica';

/** How long the files of a canister must be quiet before it is reloaded: editors write in several steps. */
export const DEFAULT_WATCH_DEBOUNCE_MS = 150;

/** A canister installed from a file, to reload when the file changes. */
export interface WatchedCanister {
  readonly name: string;
  readonly id: Principal;
  readonly module: LoadedCanisterModule;
  /** The init value it was installed with, passed again to the new module. */
  readonly init: unknown;
}

/** Options of a {@link CanisterWatcher}. */
export interface CanisterWatcherOptions {
  /** @default DEFAULT_WATCH_DEBOUNCE_MS */
  readonly debounceMs?: number;
  /** Where reloads and failed reloads are reported. */
  readonly log: (line: string) => void;
}

/**
 * Watches the files of canisters installed from files (`icws-replica --watch`) and, when one's
 * code changes, loads it anew and upgrades the canister to it: `preUpgrade` on the old instance,
 * the new factory and `postUpgrade` on the same stable memory, so the development loop keeps its
 * data. A module that does not load, or an upgrade that throws, is reported and the canister keeps
 * running its old code. Directories are watched rather than files, as editors often replace a
 * file instead of writing it in place.
 */
export class CanisterWatcher {
  readonly #replica: Replica;
  readonly #debounceMs: number;
  readonly #log: (line: string) => void;
  readonly #watched = new Map<string, { canister: WatchedCanister; watchers: FSWatcher[]; timer?: NodeJS.Timeout }>();
  #closed = false;

  constructor(replica: Replica, canisters: readonly WatchedCanister[], options: CanisterWatcherOptions) {
    this.#replica = replica;
    this.#debounceMs = options.debounceMs ?? DEFAULT_WATCH_DEBOUNCE_MS;
    this.#log = options.log;
    for (const canister of canisters) this.#watch(canister);
  }

  /** Stops watching. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#watched.values()) {
      clearTimeout(entry.timer);
      for (const watcher of entry.watchers) watcher.close();
    }
    this.#watched.clear();
  }

  #watch(canister: WatchedCanister): void {
    const previous = this.#watched.get(canister.name);
    for (const watcher of previous?.watchers ?? []) watcher.close();
    const entry: { canister: WatchedCanister; watchers: FSWatcher[]; timer?: NodeJS.Timeout } = { canister, watchers: [] };
    const namesByDir = new Map<string, Set<string>>();
    for (const file of canister.module.files) {
      const dir = dirname(file);
      if (!namesByDir.has(dir)) namesByDir.set(dir, new Set());
      namesByDir.get(dir)!.add(basename(file));
    }
    for (const [dir, names] of namesByDir) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, filename) => {
          if (filename === null || names.has(basename(filename.toString()))) this.#schedule(canister.name);
        });
        watcher.on('error', (err) => this.#log(`stopped watching ${dir} for canister ${canister.name}: ${describeError(err)}`));
        entry.watchers.push(watcher);
      } catch (err) {
        this.#log(`cannot watch ${dir} for canister ${canister.name}: ${describeError(err)}`);
      }
    }
    this.#watched.set(canister.name, entry);
  }

  #schedule(name: string): void {
    const entry = this.#watched.get(name);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.#reload(name), this.#debounceMs);
    entry.timer.unref();
  }

  #reload(name: string): void {
    const entry = this.#watched.get(name);
    if (entry === undefined || this.#closed) return;
    const { canister } = entry;
    // A save that changes nothing (or a file half written) is not an upgrade.
    const hash = currentModuleHash(canister.module);
    if (hash === undefined || hash === canister.module.hash) return;
    let module: LoadedCanisterModule;
    try {
      module = loadCanisterFile(canister.module.file, canister.module);
    } catch (err) {
      this.#log(`reload failed: canister ${name} keeps its module, ${canister.module.file} does not load: ${describeError(err)}`);
      return;
    }
    try {
      this.#replica.upgrade(canister.id, module.definition, { init: canister.init, moduleHash: module.hash });
    } catch (err) {
      this.#log(`reload failed: ${describeError(err)}`);
      // Watch what the new code loads, so fixing any of it tries again.
      this.#watch({ ...canister, module: { ...module, hash: canister.module.hash } });
      return;
    }
    this.#log(`reloaded: canister ${name} ${canister.id.toText()} upgraded from ${module.file}, stable memory kept`);
    this.#watch({ ...canister, module });
  }
}
