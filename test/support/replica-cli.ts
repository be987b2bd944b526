/** Runs `icws-replica` (the built `packages/replica/dist/cli.js`) as a child process, for CLI tests. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLI = join(__dirname, '../../packages/replica/dist/cli.js');

/** A replica started from the command line, with what it printed so far. */
export interface StartedReplicaCli {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  url: string;
}

/** @returns the replica once it printed that it listens; rejects with its stderr if it exits first. */
export function startCli(args: string[]): Promise<StartedReplicaCli> {
  const child = spawn(process.execPath, [CLI, ...args]);
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const listening = /^replica listening on (http:\/\/\S+)$/.exec(line);
      if (listening) resolve({ child, lines, url: listening[1] });
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => reject(new Error(`icws-replica exited with ${code}: ${stderr}`)));
  });
}

/** Sends SIGTERM; @returns the exit code. */
export function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** Runs the CLI until it exits (for flags it refuses); @returns its exit code and stderr. */
export function runToExit(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args]);
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}
