/**
 * IcWebSocket without a network: configuration checks, events and reconnection against fake
 * sockets that never get past connecting. The exchange itself is tested end to end in
 * test/client-sdk.
 */
import { Actor, AnonymousIdentity, HttpAgent, type ActorMethod } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { wsServiceMethods } from '@icws/protocol';
import { IcWebSocketError } from './errors';
import { IcWebSocketCloseEvent, IcWebSocketReconnectEvent } from './events';
import { createWsConfig, type ApplicationMessageOf, type IcWebSocketConfig, type WsCanisterService } from './config';
import { IcWebSocket } from './ic-websocket';
import { ScriptedSocket } from './test-support/scripted-gateway';

const AppMessage = IDL.Record({ text: IDL.Text });
interface AppMessage {
  text: string;
}
type Service = WsCanisterService<AppMessage> & { other: ActorMethod<[], void> };

// Type-level: the message type comes from the service's ws_message.
const typed: ApplicationMessageOf<Service> = { text: 'hi' };
// @ts-expect-error a number is not an AppMessage
const mistyped: ApplicationMessageOf<Service> = 42;
void typed, mistyped;

const canisterId = Principal.fromText('bkyz2-fmaaa-aaaaa-qaaaq-cai');
const idlFactory: IDL.InterfaceFactory = () => IDL.Service({ ...wsServiceMethods(AppMessage) });
const actor = Actor.createActor<Service>(idlFactory, { agent: HttpAgent.createSync({ host: 'http://127.0.0.1:1' }), canisterId });

/** A socket that never gets to the protocol: it fails as soon as the test says so. */
class DeadSocket extends ScriptedSocket {
  static all: DeadSocket[] = [];
  constructor(url: string) {
    super(url);
    DeadSocket.all.push(this);
  }
  override close(): void {
    this.refuse();
  }
  /** The socket opens, then the gateway closes it with `code` and `reason`. */
  closeFromGateway(code: number, reason: string): void {
    this.accept();
    this.closeFromServer(code, reason);
  }
  /** The connection is refused: an error, then an abnormal close. */
  refuse(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onerror?.({ message: 'connect ECONNREFUSED' });
    this.onclose?.({ code: 1006, reason: '', wasClean: false });
  }
}

function config(extra: Partial<IcWebSocketConfig<Service>> = {}): IcWebSocketConfig<Service> {
  return createWsConfig<Service>({
    canisterId,
    canisterActor: actor,
    identity: Ed25519KeyIdentity.generate(),
    networkUrl: 'http://127.0.0.1:4943',
    rootKey: new Uint8Array(133),
    WebSocket: DeadSocket,
    ...extra,
  });
}

function invalid(make: () => unknown): IcWebSocketError {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(IcWebSocketError);
    expect((err as IcWebSocketError).code).toBe('ICWS_ERR_INVALID_CONFIG');
    return err as IcWebSocketError;
  }
  throw new Error('expected an invalid config');
}

beforeEach(() => {
  DeadSocket.all = [];
  jest.useFakeTimers();
});
afterEach(() => jest.useRealTimers());

describe('IcWebSocket', () => {
  describe('constructor', () => {
    it('connects at once to the gateway URL, CONNECTING until the canister opens', () => {
      const ws = new IcWebSocket('ws://gateway.test/', undefined, config());
      expect(DeadSocket.all.map((s) => s.url)).toEqual(['ws://gateway.test/']);
      expect(ws.readyState).toBe(IcWebSocket.CONNECTING);
      expect(ws.CONNECTING).toBe(0);
      expect(ws.canisterId.toText()).toBe(canisterId.toText());
      ws.close();
    });

    it('takes the message type from an interface factory instead of an actor', () => {
      const ws = new IcWebSocket('ws://gateway.test/', undefined, config({ canisterActor: undefined, idlFactory }));
      ws.close();
    });

    it.each([
      ['no config', () => new IcWebSocket('ws://g/', undefined, undefined as never), 'a config is required'],
      ['a bad canister id', () => new IcWebSocket('ws://g/', undefined, config({ canisterId: 'nope' })), 'canisterId is not a principal'],
      ['no actor or factory', () => new IcWebSocket('ws://g/', undefined, config({ canisterActor: undefined })), 'give either canisterActor'],
      ['both actor and factory', () => new IcWebSocket('ws://g/', undefined, config({ idlFactory })), 'give either canisterActor'],
      [
        'a canister without ws_message',
        () => new IcWebSocket('ws://g/', undefined, config({ canisterActor: undefined, idlFactory: ({ IDL: I }) => I.Service({}) })),
        'has no ws_message method',
      ],
      [
        'a ws_message without the opt message argument',
        () =>
          new IcWebSocket('ws://g/', undefined, config({ canisterActor: undefined, idlFactory: ({ IDL: I }) => I.Service({ ws_message: I.Func([I.Text, I.Text], [], []) }) })),
        'the second argument of ws_message must be opt AppMessage, got text',
      ],
      ['no identity', () => new IcWebSocket('ws://g/', undefined, config({ identity: undefined as never })), 'identity must be a SignIdentity'],
      ['an identity that cannot sign', () => new IcWebSocket('ws://g/', undefined, config({ identity: new AnonymousIdentity() as never })), 'identity must be a SignIdentity'],
      ['a bad network URL', () => new IcWebSocket('ws://g/', undefined, config({ networkUrl: 'localhost' })), 'networkUrl must be the URL'],
      ['a negative ack interval', () => new IcWebSocket('ws://g/', undefined, config({ ackMessageIntervalMs: -1 })), 'ackMessageIntervalMs must be a positive number'],
      ['a zero latency bound', () => new IcWebSocket('ws://g/', undefined, config({ latencyBoundMs: 0 })), 'latencyBoundMs must be a positive number'],
      ['a negative message limit', () => new IcWebSocket('ws://g/', undefined, config({ maxMessageBytes: -5 })), 'maxMessageBytes must be a positive number'],
      ['bad reconnect options', () => new IcWebSocket('ws://g/', undefined, config({ reconnect: { minDelayMs: 10, maxDelayMs: 5 } })), 'reconnect needs'],
      ['an unknown BLS verifier', () => new IcWebSocket('ws://g/', undefined, config({ blsVerifier: 'gpu' as never })), "blsVerifier must be 'worker', 'wasm', 'noble' or an object"],
      ['a negative send queue bound', () => new IcWebSocket('ws://g/', undefined, config({ reconnect: { maxQueuedBytes: -1 } })), 'reconnect.maxQueuedBytes must be an integer >= 0, got -1'],
      ['an empty gateway list', () => new IcWebSocket([], undefined, config()), 'give at least one gateway URL'],
      ['a gateway that is not a URL', () => new IcWebSocket(['ws://g/', 'gateway two'], undefined, config()), 'gateway URL #2 is not a URL: gateway two'],
      ['a gateway URL of another scheme', () => new IcWebSocket('ftp://g/', undefined, config()), 'gateway URL ftp://g/ must be a ws:// or wss:// URL'],
    ])('refuses %s', (_what, make, message) => {
      expect(invalid(make).message).toContain(message);
      expect(DeadSocket.all).toEqual([]);
    });
  });

  describe('#close', () => {
    it('before the connection opened: rejects opened, fires close once', async () => {
      const ws = new IcWebSocket('ws://g/', undefined, config());
      const closes: IcWebSocketCloseEvent[] = [];
      ws.onclose = (event) => closes.push(event);
      const opened = ws.opened;
      ws.close();
      ws.close();
      await expect(opened).rejects.toMatchObject({ code: 'ICWS_ERR_CLOSED_BEFORE_OPEN' });
      expect(closes).toHaveLength(1);
      expect(closes[0]).toMatchObject({ code: 1000, error: undefined });
      expect(ws.readyState).toBe(IcWebSocket.CLOSED);
    });
  });

  describe('without reconnection', () => {
    it('reports an unreachable gateway with error then close', async () => {
      const ws = new IcWebSocket('ws://g/', undefined, config());
      const seen: string[] = [];
      ws.onerror = (event) => seen.push(`error ${event.error.code}: ${event.message}`);
      ws.onclose = (event) => seen.push(`close ${event.code} ${event.error?.code}`);
      const messages = ws[Symbol.asyncIterator]();
      DeadSocket.all[0]!.refuse();
      expect(seen).toEqual([
        'error ICWS_ERR_CONNECTION_CLOSED: could not connect to the gateway at ws://g/ (connect ECONNREFUSED)',
        'close 1006 ICWS_ERR_CONNECTION_CLOSED',
      ]);
      await expect(messages.next()).rejects.toMatchObject({ code: 'ICWS_ERR_CONNECTION_CLOSED' });
      await expect(ws.opened).rejects.toMatchObject({ code: 'ICWS_ERR_CONNECTION_CLOSED' });
    });
  });

  describe('with reconnection', () => {
    it('opens a new session after a backoff delay each time a connection fails, then gives up', async () => {
      const ws = new IcWebSocket('ws://g/', undefined, config({ reconnect: { minDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 3 } }));
      const reconnects: IcWebSocketReconnectEvent[] = [];
      const errors: string[] = [];
      ws.addEventListener('reconnecting', (event) => reconnects.push(event));
      ws.addEventListener('error', (event) => errors.push(event.error.code));
      const closed = new Promise<IcWebSocketCloseEvent>((resolve) => ws.addEventListener('close', resolve));
      for (let attempt = 1; attempt <= 3; attempt++) {
        DeadSocket.all.at(-1)!.refuse();
        expect(ws.readyState).toBe(IcWebSocket.CONNECTING);
        const event = reconnects.at(-1)!;
        expect(event).toBeInstanceOf(IcWebSocketReconnectEvent);
        expect(event).toMatchObject({ attempt, code: 1006 });
        expect(event.delayMs).toBeLessThan(Math.min(1_000, 100 * 2 ** (attempt - 1)));
        expect(event.error?.code).toBe('ICWS_ERR_CONNECTION_CLOSED');
        await jest.advanceTimersByTimeAsync(event.delayMs);
        expect(DeadSocket.all).toHaveLength(attempt + 1);
      }
      DeadSocket.all.at(-1)!.refuse();
      const close = await closed;
      expect(close).toMatchObject({ code: 1006, wasClean: false });
      expect(close.error?.code).toBe('ICWS_ERR_CONNECTION_CLOSED');
      expect(errors).toHaveLength(4);
      expect(reconnects).toHaveLength(3);
    });

    it.each([
      ['an envelope refused for an expired delegation', 1011, 'ICWS_ERR_ENVELOPE_REFUSED: the replica refused the envelope: replica answered 403: delegation 0 expired'],
      ['a refused ws_open', 1008, 'ICWS_ERR_OPEN_REFUSED: the canister rejected ws_open: not allowed'],
    ])('stops at once on %s: one error, one close, no new session', async (_what, code, reason) => {
      const ws = new IcWebSocket('ws://g/', undefined, config({ reconnect: { minDelayMs: 10, maxDelayMs: 10 } }));
      const seen: string[] = [];
      ws.onerror = (event) => seen.push(`error ${event.error.code}`);
      ws.onclose = (event) => seen.push(`close ${event.code} ${event.error?.code}`);
      ws.addEventListener('reconnecting', () => seen.push('reconnecting'));
      DeadSocket.all[0]!.closeFromGateway(code, reason);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(seen).toEqual(['error ICWS_ERR_CONNECTION_REFUSED', `close ${code} ICWS_ERR_CONNECTION_REFUSED`]);
      expect(DeadSocket.all).toHaveLength(1);
      expect(ws.readyState).toBe(IcWebSocket.CLOSED);
      await expect(ws.opened).rejects.toMatchObject({ code: 'ICWS_ERR_CONNECTION_REFUSED' });
    });

    it('reconnects after a transient close of the gateway, even one with a code that refuses', async () => {
      const ws = new IcWebSocket('ws://g/', undefined, config({ reconnect: { minDelayMs: 10, maxDelayMs: 10 } }));
      const reconnects: IcWebSocketReconnectEvent[] = [];
      ws.addEventListener('reconnecting', (event) => reconnects.push(event));
      DeadSocket.all[0]!.closeFromGateway(1011, 'ICWS_ERR_REPLICA_UNAVAILABLE: could not relay to the canister: replica answered 503');
      await jest.advanceTimersByTimeAsync(10);
      DeadSocket.all[1]!.closeFromGateway(1008, 'ICWS_ERR_CLIENT_KEY_IN_USE: client key x is already connected to this gateway');
      await jest.advanceTimersByTimeAsync(10);
      expect(reconnects.map((event) => event.code)).toEqual([1011, 1008]);
      expect(DeadSocket.all).toHaveLength(3);
      ws.close();
    });

    it('moves to the next gateway of the list with each attempt, and says where in the reconnecting event', async () => {
      const ws = new IcWebSocket(['ws://one/', new URL('ws://two/'), 'ws://three/'], undefined, config({ reconnect: { minDelayMs: 10, maxDelayMs: 10 } }));
      const reconnects: IcWebSocketReconnectEvent[] = [];
      ws.onreconnecting = (event) => reconnects.push(event);
      expect(ws.url).toBe('ws://one/');
      for (let attempt = 0; attempt < 4; attempt++) {
        DeadSocket.all.at(-1)!.refuse();
        await jest.advanceTimersByTimeAsync(10);
      }
      expect(DeadSocket.all.map((socket) => socket.url)).toEqual(['ws://one/', 'ws://two/', 'ws://three/', 'ws://one/', 'ws://two/']);
      expect(reconnects.map((event) => event.url)).toEqual(['ws://two/', 'ws://three/', 'ws://one/', 'ws://two/']);
      expect(ws.url).toBe('ws://two/');
      ws.close();
    });

    it('stops for good when closed while waiting to reconnect', async () => {
      const ws = new IcWebSocket('ws://g/', undefined, config({ reconnect: true }));
      const closes: IcWebSocketCloseEvent[] = [];
      ws.onclose = (event) => closes.push(event);
      DeadSocket.all[0]!.refuse();
      ws.close(1000, 'bye');
      expect(closes).toHaveLength(1);
      expect(closes[0]).toMatchObject({ code: 1000, reason: 'bye', wasClean: true });
      await jest.advanceTimersByTimeAsync(60_000);
      expect(DeadSocket.all).toHaveLength(1);
    });
  });

  describe('#send', () => {
    it('refuses a message over maxMessageBytes before sending it, naming the limit', () => {
      const ws = new IcWebSocket('ws://g/', undefined, config({ maxMessageBytes: 1_000 }));
      const err = (() => {
        try {
          ws.send({ text: 'x'.repeat(1_000) });
        } catch (e) {
          return e as IcWebSocketError;
        }
        throw new Error('expected send to throw');
      })();
      expect(err).toBeInstanceOf(IcWebSocketError);
      expect(err.code).toBe('ICWS_ERR_MESSAGE_TOO_LARGE');
      expect(err.kind).toBe('input');
      expect(err.message).toMatch(/^the message is 10\d\d bytes of Candid, over the limit of 1000 bytes \(config maxMessageBytes/);
      // a message within the limit gets past the size check to the state check
      expect(() => ws.send({ text: 'x'.repeat(900) })).toThrow(expect.objectContaining({ code: 'ICWS_ERR_NOT_OPEN' }));
      ws.close();
    });

    it('refuses to queue before the first open, even with reconnection: there is no session to carry on yet', () => {
      const ws = new IcWebSocket('ws://g/', undefined, config({ reconnect: true }));
      expect(() => ws.send({ text: 'early' })).toThrow(expect.objectContaining({ code: 'ICWS_ERR_NOT_OPEN' }));
      DeadSocket.all[0]!.refuse();
      expect(ws.readyState).toBe(IcWebSocket.CONNECTING);
      expect(() => ws.send({ text: 'early' })).toThrow(expect.objectContaining({ code: 'ICWS_ERR_NOT_OPEN' }));
      ws.close();
    });

    it('allows 1 MiB of Candid by default', () => {
      const ws = new IcWebSocket('ws://g/', undefined, config());
      expect(() => ws.send({ text: 'x'.repeat(1024 * 1024 - 100) })).toThrow(expect.objectContaining({ code: 'ICWS_ERR_NOT_OPEN' }));
      expect(() => ws.send({ text: 'x'.repeat(1024 * 1024) })).toThrow(expect.objectContaining({ code: 'ICWS_ERR_MESSAGE_TOO_LARGE' }));
      ws.close();
    });
  });

  describe('#addEventListener', () => {
    it('supports once and removal, next to the on* handler', () => {
      const ws = new IcWebSocket('ws://g/', undefined, config({ reconnect: { minDelayMs: 1, maxDelayMs: 1 } }));
      const calls: string[] = [];
      const listener = () => calls.push('listener');
      ws.addEventListener('error', () => calls.push('once'), { once: true });
      ws.addEventListener('error', listener);
      ws.onerror = () => calls.push('handler');
      DeadSocket.all[0]!.refuse();
      ws.removeEventListener('error', listener);
      ws.onerror = null;
      jest.advanceTimersByTime(1);
      DeadSocket.all[1]!.refuse();
      expect(calls).toEqual(['once', 'listener', 'handler']);
      expect(ws.onerror).toBeNull();
      ws.close();
    });
  });
});
