/**
 * What `/health` answers: whether the replica answers a cheap status probe, and whether each
 * polled canister's polls succeed.
 */
import type { Clock } from './clock';
import { errorText } from './error-log';
import { GatewayError } from './errors';

/** How long one replica probe's answer is reused. */
export const PROBE_CACHE_MS = 1_000;
/** How long a probe may take before the replica counts as unreachable. */
export const PROBE_TIMEOUT_MS = 2_000;

/** One canister's polls, as `/health` shows them. */
export interface CanisterHealth {
  readonly status: 'ok' | 'failing';
  /** `ICWS_ERR_…: …` of the last failed poll. */
  readonly lastError?: string;
  /** ISO time since which the status holds. */
  readonly since: string;
}

/** The body of `/health`. */
export interface HealthReport {
  readonly status: 'ok' | 'degraded' | 'unavailable';
  readonly replica: { readonly url: string; readonly reachable: boolean; readonly lastError?: string; readonly since: string };
  readonly canisters: Record<string, CanisterHealth>;
}

export interface HealthOptions {
  /** The replica's origin; `/api/v2/status` is probed there. */
  readonly replicaUrl: URL;
  readonly clock: Clock;
  /** Answers a probe; by default an HTTP GET with {@link PROBE_TIMEOUT_MS}. */
  readonly probe?: (url: URL) => Promise<void>;
}

/** Keeps the replica's and each canister's status for `/health`. */
export class HealthMonitor {
  readonly #options: HealthOptions;
  readonly #canisters = new Map<string, CanisterHealth>();
  #replica: HealthReport['replica'] | undefined;
  #probedAt = -Infinity;
  #probing: Promise<void> | undefined;

  constructor(options: HealthOptions) {
    this.#options = options;
  }

  /** Records a successful poll of `canisterId`. */
  pollSucceeded(canisterId: string): void {
    if (this.#canisters.get(canisterId)?.status === 'ok') return;
    this.#canisters.set(canisterId, { status: 'ok', since: this.#now() });
  }

  /** Records a failed poll of `canisterId`. */
  pollFailed(canisterId: string, err: unknown): void {
    const previous = this.#canisters.get(canisterId);
    const since = previous?.status === 'failing' ? previous.since : this.#now();
    this.#canisters.set(canisterId, { status: 'failing', lastError: errorText(err), since });
  }

  /** Drops `canisterId`: it is no longer polled. */
  forget(canisterId: string): void {
    this.#canisters.delete(canisterId);
  }

  /** @returns the report, probing the replica unless a probe of the last second answered. */
  async report(): Promise<HealthReport> {
    if (this.#options.clock.now() - this.#probedAt >= PROBE_CACHE_MS) {
      this.#probing ??= this.#probe().finally(() => (this.#probing = undefined));
      await this.#probing;
    }
    const replica = this.#replica!;
    const canisters = Object.fromEntries(this.#canisters);
    const failing = [...this.#canisters.values()].some((c) => c.status === 'failing');
    const status = !replica.reachable ? 'unavailable' : failing ? 'degraded' : 'ok';
    return { status, replica, canisters };
  }

  async #probe(): Promise<void> {
    const url = new URL('/api/v2/status', this.#options.replicaUrl);
    let error: string | undefined;
    try {
      await (this.#options.probe ?? httpProbe)(url);
    } catch (err) {
      error = errorText(err);
    }
    const reachable = error === undefined;
    const since = this.#replica?.reachable === reachable ? this.#replica.since : this.#now();
    this.#replica = { url: this.#options.replicaUrl.origin, reachable, ...(error === undefined ? {} : { lastError: error }), since };
    this.#probedAt = this.#options.clock.now();
  }

  #now(): string {
    return new Date(this.#options.clock.now()).toISOString();
  }
}

async function httpProbe(url: URL): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new GatewayError('ICWS_ERR_REPLICA_UNAVAILABLE', `cannot reach the replica at ${url.origin} (${cause})`);
  }
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new GatewayError('ICWS_ERR_REPLICA_UNAVAILABLE', `the replica answered GET ${url.pathname} with ${response.status}`);
}
