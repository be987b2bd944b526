import { GatewayError } from './errors';

/** How many connections the gateway holds: in all, and from one client address. */
export interface ConnectionLimits {
  /** `--max-connections` */
  readonly maxConnections: number;
  /** `--max-connections-per-ip` */
  readonly maxConnectionsPerIp: number;
}

/** A connection let in; `release` once it ends (more calls do nothing). */
export interface Admitted {
  readonly admitted: true;
  release(): void;
}

/** A connection refused, with the limit it met and the error to answer it with. */
export interface Refused {
  readonly admitted: false;
  readonly limit: 'total' | 'per_ip';
  readonly error: GatewayError;
}

/**
 * Counts the connections held, in all and per client address, and refuses those past a limit,
 * so that one address (or many) cannot make the gateway hold connections without end.
 */
export class ConnectionLimiter {
  readonly #limits: ConnectionLimits;
  readonly #byAddress = new Map<string, number>();
  #total = 0;

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
  }

  /** Connections held. */
  get total(): number {
    return this.#total;
  }

  /** @returns the connections held from `address` */
  countOf(address: string): number {
    return this.#byAddress.get(address) ?? 0;
  }

  /**
   * Lets a connection from `address` in, or says which limit it meets.
   * @param address - the client's IP address, as the socket reports it
   */
  admit(address: string): Admitted | Refused {
    const { maxConnections, maxConnectionsPerIp } = this.#limits;
    if (this.#total >= maxConnections) {
      const error = new GatewayError('ICWS_ERR_CONNECTION_LIMIT', `the gateway holds its limit of ${maxConnections} connections; try again later, or raise --max-connections`);
      return { admitted: false, limit: 'total', error };
    }
    const held = this.countOf(address);
    if (held >= maxConnectionsPerIp) {
      const error = new GatewayError(
        'ICWS_ERR_IP_CONNECTION_LIMIT',
        `${address} holds its limit of ${maxConnectionsPerIp} connections to this gateway; close some, or raise --max-connections-per-ip`,
      );
      return { admitted: false, limit: 'per_ip', error };
    }
    this.#total++;
    this.#byAddress.set(address, held + 1);
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.#total--;
        const left = this.countOf(address) - 1;
        if (left > 0) this.#byAddress.set(address, left);
        else this.#byAddress.delete(address);
      },
    };
  }
}
