import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { ReplicaError } from '../errors';

/** The files a replica keeps in its state directory; a folder holding none of them but others is not one. */
export const STATE_DIR_FILES = ['state.sqlite', 'root-key.secret', 'subnet-key.secret', 'node-key.pem'] as const;

/**
 * Makes sure `dir` can be the replica's state directory: a folder, created if missing, that is
 * empty or holds a replica's files (its keys, its database), so the replica never scatters its
 * files among someone else's.
 * @throws ReplicaError `ICWS_ERR_STATE_DIR` naming the folder, what is wrong and what to do
 */
export function prepareStateDir(dir: string): void {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) {
      throw new ReplicaError('ICWS_ERR_STATE_DIR', `state directory ${dir} is a file, not a folder: give --state-dir a folder (it is created if missing)`);
    }
    entries = readdirSync(dir);
  } catch (err) {
    if (err instanceof ReplicaError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(dir, err);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (cause) {
      throw unusable(dir, cause);
    }
    return;
  }
  const visible = entries.filter((name) => !name.startsWith('.'));
  if (visible.length > 0 && !visible.some((name) => (STATE_DIR_FILES as readonly string[]).includes(name))) {
    const shown = visible.slice(0, 5).join(', ') + (visible.length > 5 ? ', …' : '');
    throw new ReplicaError(
      'ICWS_ERR_STATE_DIR',
      `state directory ${dir} holds files that are not a replica's (${shown}): give --state-dir an empty or new folder, or the one a replica used before`,
    );
  }
}

function unusable(dir: string, cause: unknown): ReplicaError {
  const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
  return new ReplicaError('ICWS_ERR_STATE_DIR', `state directory ${dir} cannot be used (${reason}): check its path and permissions, or give --state-dir another folder`, { cause });
}
