/**
 * How the gateway logs failures: one JSON line per event with its `ICWS_ERR_…` code (`code`) and a
 * one-line message, no stack trace below `debug`, and a failure that repeats for the same subject
 * (a canister, a session) logged once, then summarised at most once per {@link REPEAT_WINDOW_MS}.
 */
import { IcwsError } from '@icws/protocol';
import type { Logger } from 'pino';
import type { Clock } from './clock';

/** How long repeats of one failure are counted before they are summarised in one line. */
export const REPEAT_WINDOW_MS = 30_000;

/** The code and one-line message of any thrown value; errors without a code get `ICWS_ERR_INTERNAL`. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof IcwsError) return { code: err.code, message: oneLine(err.message) };
  return { code: 'ICWS_ERR_INTERNAL', message: oneLine(err instanceof Error ? err.message : String(err)) };
}

/** `ICWS_ERR_…: message`, as `/health` and close reasons show an error. */
export function errorText(err: unknown): string {
  const { code, message } = describeError(err);
  return `${code}: ${message}`;
}

/** Joins the lines of a message, leaving out the stack frames some libraries put in theirs. */
function oneLine(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*at\s/.test(line))
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

type Level = 'error' | 'warn' | 'info';

interface Repeats {
  windowStart: number;
  suppressed: number;
}

/** Logs coded failures and folds repeats of the same code for the same subject. */
export class ErrorLog {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #repeats = new Map<string, Repeats>();

  constructor(log: Logger, clock: Clock) {
    this.#log = log;
    this.#clock = clock;
  }

  /**
   * Logs `err` at `level` with its code, unless the same code was logged for `subject` within
   * the last {@link REPEAT_WINDOW_MS}; then it is counted, and the first occurrence after the window
   * is logged with `repeated: N` (the occurrences since the last line, itself included).
   * @param subject - what failed, e.g. `canister:<id>`; repeats are folded per subject and code
   * @param fields - extra fields of the line (e.g. `{ canister }`)
   */
  report(level: Level, subject: string, err: unknown, context: string, fields: Record<string, unknown> = {}): void {
    const { code, message } = describeError(err);
    const key = `${subject}\u0000${code}`;
    const now = this.#clock.now();
    const seen = this.#repeats.get(key);
    if (seen !== undefined && now - seen.windowStart < REPEAT_WINDOW_MS) {
      seen.suppressed++;
      return;
    }
    const line: Record<string, unknown> = { ...fields, code };
    let text = `${context}: ${message}`;
    if (seen !== undefined && seen.suppressed > 0) {
      line.repeated = seen.suppressed + 1;
      text += ` (repeated ${seen.suppressed + 1} times in the last ${REPEAT_WINDOW_MS / 1000} s)`;
    }
    this.#repeats.set(key, { windowStart: now, suppressed: 0 });
    this.#log[level](line, text);
    // The stack helps a developer, not an operator: it goes to debug only.
    if (err instanceof Error && err.stack !== undefined && this.#log.isLevelEnabled('debug')) {
      this.#log.debug({ ...fields, code, stack: err.stack }, `${context}: stack`);
    }
  }

  /**
   * Forgets the failures of `subject` (it recovered); logs how many went unlogged, if any.
   * @returns whether `subject` had failures
   */
  recovered(subject: string, context: string, fields: Record<string, unknown> = {}): boolean {
    let unlogged = 0;
    let had = false;
    for (const [key, seen] of this.#repeats) {
      if (!key.startsWith(`${subject}\u0000`)) continue;
      had = true;
      unlogged += seen.suppressed;
      this.#repeats.delete(key);
    }
    if (had) this.#log.info(unlogged > 0 ? { ...fields, unlogged } : fields, unlogged > 0 ? `${context} (after ${unlogged} more failures not logged)` : context);
    return had;
  }
}
