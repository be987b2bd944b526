/**
 * The replica's admin API: JSON over HTTP on a loopback address of its own, for tests in another
 * process, in the spirit of PocketIC's instance API. It reads the time, moves a controllable clock
 * (set or advance, running the timers that become due) and runs rounds on demand.
 *
 * ```
 * GET  /v1/time                                     → { "nanosSinceEpoch": "…", "clock": "manual" }
 * POST /v1/time          { "nanosSinceEpoch": "…" } → { "nanosSinceEpoch": "…" }   (never backwards)
 * POST /v1/time/advance  { "ms": 1000 } | { "nanos": "…" } → { "nanosSinceEpoch": "…" }
 * POST /v1/tick                                      → { "roundNanosSinceEpoch": "…" }
 * ```
 *
 * Nanoseconds travel as decimal strings: JSON numbers lose precision past 2^53. Refusals answer
 * `{ "code": "ICWS_ERR_…", "message": "…" }` with the code's HTTP status.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { isControllableClock } from './clock';
import { ReplicaError } from './errors';
import type { Replica } from './replica';

/** Where the admin API listens: loopback only. */
export interface AdminApiOptions {
  /** A loopback address: `127.0.0.1` (or any 127.x.y.z), `::1` or `localhost`. @default 127.0.0.1 */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
}

const MAX_BODY_BYTES = 4096;

/** Serves the admin API of one replica. */
export class AdminApiServer {
  readonly #server: Server;

  constructor(private readonly replica: Replica) {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => answerError(res, err));
    });
  }

  /**
   * Starts listening.
   * @returns the API's base URL
   * @throws ReplicaError `ICWS_ERR_ADMIN_ADDRESS` when `host` is not a loopback address
   */
  async listen(options: AdminApiOptions): Promise<URL> {
    const host = options.host ?? '127.0.0.1';
    if (!isLoopback(host)) {
      throw new ReplicaError('ICWS_ERR_ADMIN_ADDRESS', `the admin API moves the replica's clock, so it listens only on loopback (127.0.0.1, ::1, localhost), not on ${host}`);
    }
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(options.port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    return new URL(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    const route = `${req.method ?? ''} ${path}`;
    switch (route) {
      case 'GET /v1/time':
        return answer(res, { nanosSinceEpoch: this.replica.clock.nowNs().toString(), clock: isControllableClock(this.replica.clock) ? 'manual' : 'system' });
      case 'POST /v1/time': {
        const body = await readJson(req);
        const target = nanosField(body, 'nanosSinceEpoch');
        const clock = this.#controllableClock();
        if (target < clock.nowNs()) {
          throw new ReplicaError('ICWS_ERR_TIME_BACKWARDS', `time only moves forward: ${target} ns is before the replica's ${clock.nowNs()} ns`);
        }
        await clock.setTimeNs(target);
        return answer(res, { nanosSinceEpoch: clock.nowNs().toString() });
      }
      case 'POST /v1/time/advance': {
        const body = await readJson(req);
        const ns = 'nanos' in body ? nanosField(body, 'nanos') : msField(body);
        const clock = this.#controllableClock();
        await clock.advanceNs(ns);
        return answer(res, { nanosSinceEpoch: clock.nowNs().toString() });
      }
      case 'POST /v1/tick': {
        await readJson(req, true);
        const timeNs = await this.replica.tick();
        return answer(res, { roundNanosSinceEpoch: timeNs.toString() });
      }
      default:
        throw new ReplicaError('ICWS_ERR_ADMIN_NOT_FOUND', `no admin route ${route}: the API has GET /v1/time, POST /v1/time, POST /v1/time/advance and POST /v1/tick`);
    }
  }

  #controllableClock() {
    const clock = this.replica.clock;
    if (!isControllableClock(clock)) {
      throw new ReplicaError('ICWS_ERR_CLOCK_NOT_CONTROLLABLE', 'the replica runs on the system clock: start it with --clock manual (or a TestClock) to set or advance time');
    }
    return clock;
  }
}

/** @returns whether `host` names the loopback interface. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(bare) || bare.toLowerCase().startsWith('::ffff:127.');
  return false;
}

function badRequest(message: string): ReplicaError {
  return new ReplicaError('ICWS_ERR_ADMIN_BAD_REQUEST', message);
}

async function readJson(req: IncomingMessage, emptyAllowed = false): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw badRequest(`the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '' && emptyAllowed) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest(`the body is not JSON: ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Reads a non-negative count of nanoseconds, given as a decimal string (or a safe integer). */
function nanosField(body: Record<string, unknown>, field: string): bigint {
  const value = body[field];
  if (typeof value === 'string' && /^\d{1,30}$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw badRequest(`"${field}" must be a non-negative integer number of nanoseconds as a decimal string, e.g. "1700000000000000000", got ${JSON.stringify(value)}`);
}

function msField(body: Record<string, unknown>): bigint {
  const value = body.ms;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw badRequest(`give { "ms": <non-negative number> } or { "nanos": "<decimal string>" }, got ${JSON.stringify(body)}`);
  }
  return BigInt(Math.round(value * 1e6));
}

function answer(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function answerError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof ReplicaError) {
    answer(res, { code: err.code, message: err.message }, err.httpStatus ?? 500);
  } else {
    answer(res, { message: err instanceof Error ? err.message : String(err) }, 500);
  }
}
