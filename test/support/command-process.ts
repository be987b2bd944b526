/**
 * Runs a command line (such as `npx icws-replica …`) in its own process group, the way a terminal
 * runs it: npx starts a shell that starts the program, and a signal npx gets is not passed on, so
 * stopping means signalling the whole group, as Ctrl-C does.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { quoteWords } from './shell-commands';

/** How long a command may take to print a line it is waited for, or to stop. */
const DEADLINE_MS = 30_000;

/** A running command with what it printed so far. */
export class CommandProcess {
  readonly lines: string[] = [];
  #stdout = '';
  #stderr = '';
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #argv: readonly string[];
  /** Settles once the command and every process holding its output have ended, with its exit code. */
  readonly #closed: Promise<number | null>;
  #ended = false;
  #onLine: Array<() => void> = [];

  /**
   * @param argv - the program (looked up next to node first, then on PATH) and its arguments
   * @param options - the working directory and the whole environment
   */
  constructor(argv: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.#argv = argv;
    this.#child = spawn(programPath(argv[0]!), argv.slice(1), { cwd: options.cwd, env: options.env, detached: true });
    this.#child.stdout.on('data', (chunk: Buffer) => (this.#stdout += chunk.toString()));
    this.#child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      this.lines.push(line);
      for (const notify of this.#onLine) notify();
    });
    this.#closed = new Promise((resolve) =>
      this.#child.once('close', (code) => {
        this.#ended = true;
        for (const notify of this.#onLine) notify();
        resolve(code);
      }),
    );
  }

  /** Everything it wrote to stdout. */
  get stdout(): string {
    return this.#stdout;
  }

  /**
   * @returns its exit code, once it and everything it started have ended
   * @throws Error when that takes longer than the deadline (they are then killed)
   */
  async exited(): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), DEADLINE_MS)));
    const outcome = await Promise.race([this.#closed, late]);
    clearTimeout(timer);
    if (outcome !== 'late') return outcome;
    this.#signalGroup('SIGKILL');
    throw new Error(`still running after ${DEADLINE_MS} ms\n${this.describe()}`);
  }

  /**
   * @returns the first line matching `pattern`, from what it printed or will print
   * @throws Error with its output when it ends, or the deadline passes, first
   */
  waitForLine(pattern: RegExp, what: string): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${what}: nothing after ${DEADLINE_MS} ms\n${this.describe()}`)), DEADLINE_MS);
      const check = () => {
        for (const line of this.lines) {
          const match = pattern.exec(line);
          if (match) return finish(match);
        }
        if (this.#ended) finish(new Error(`${what}: it ended first\n${this.describe()}`));
      };
      const finish = (outcome: RegExpExecArray | Error) => {
        clearTimeout(timer);
        this.#onLine = this.#onLine.filter((notify) => notify !== check);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      this.#onLine.push(check);
      check();
    });
  }

  /**
   * Sends SIGTERM to its process group; @returns once every process that holds its output ended.
   * @throws Error when they have not within the deadline (they are then killed)
   */
  async stop(): Promise<void> {
    if (this.#ended) return;
    this.#signalGroup('SIGTERM');
    await this.exited();
  }

  /** @returns the command line and its output, for failure messages. */
  describe(): string {
    return `$ ${quoteWords(this.#argv)}\n--- stdout\n${this.#stdout}--- stderr\n${this.#stderr}`;
  }

  #signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.#child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  }
}

function programPath(program: string): string {
  const besideNode = join(dirname(process.execPath), program);
  return existsSync(besideNode) ? besideNode : program;
}
