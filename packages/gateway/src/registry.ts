import type { Principal } from '@dfinity/principal';
import { clientKeyText, type CanisterOutputMessage, type ClientKey } from '@icws/protocol';
import { CanisterPoller, type PollerOptions } from './poller';
import type { ClientSession } from './session';

interface CanisterEntry {
  readonly poller: CanisterPoller;
  readonly sessions: Map<string, ClientSession>;
}

/**
 * Which session each canister message goes to, and one poller per canister for as long as the
 * canister has clients on this gateway.
 */
export class SessionRegistry {
  readonly #canisters = new Map<string, CanisterEntry>();

  constructor(private readonly pollerOptions: (canisterId: Principal, deliver: PollerOptions['deliver']) => PollerOptions) {}

  bind(session: ClientSession, canisterId: Principal, clientKey: ClientKey): boolean {
    const canister = canisterId.toText();
    let entry = this.#canisters.get(canister);
    if (entry === undefined) {
      const sessions = new Map<string, ClientSession>();
      const deliver: PollerOptions['deliver'] = (message, nonce, cert, tree) => this.#route(sessions, message, nonce, cert, tree);
      entry = { poller: new CanisterPoller(this.pollerOptions(canisterId, deliver)), sessions };
      this.#canisters.set(canister, entry);
      entry.poller.start();
    }
    const key = clientKeyText(clientKey);
    if (entry.sessions.has(key)) return false;
    entry.sessions.set(key, session);
    return true;
  }

  unbind(session: ClientSession): void {
    const { canisterId, clientKey } = session;
    if (canisterId === undefined || clientKey === undefined) return;
    const entry = this.#canisters.get(canisterId.toText());
    if (entry === undefined) return;
    const key = clientKeyText(clientKey);
    if (entry.sessions.get(key) === session) entry.sessions.delete(key);
    if (entry.sessions.size === 0) {
      this.#canisters.delete(canisterId.toText());
      void entry.poller.stop();
    }
  }

  pollSoon(canisterId: Principal): void {
    this.#canisters.get(canisterId.toText())?.poller.pollSoon();
  }

  /** Number of canisters being polled. */
  get canisterCount(): number {
    return this.#canisters.size;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#canisters.values()].map((entry) => entry.poller.stop()));
    this.#canisters.clear();
  }

  #route(sessions: Map<string, ClientSession>, message: CanisterOutputMessage, nonce: bigint, cert: Uint8Array, tree: Uint8Array): void {
    // Messages for clients connected elsewhere or gone are not ours to deliver.
    sessions.get(clientKeyText(message.client_key))?.deliver(message, nonce, cert, tree);
  }
}
