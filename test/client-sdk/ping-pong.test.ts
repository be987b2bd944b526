/**
 * IcWebSocket end to end: the embedded replica runs the ping-pong example, our gateway relays,
 * and the client checks every certificate and sequence number on the way.
 */
import { DelegationChain, DelegationIdentity, ECDSAKeyIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { generateRandomIdentity, IcWebSocket, IcWebSocketCloseEvent, IcWebSocketMessageEvent } from '@icws/client-sdk';
import { IDL } from '@icp-sdk/core/candid';
import { AppMessage as AppMessageIdl, type AppMessage } from '../../examples/ping-pong/idl';
import { appMessage, nextEvent, startStack, type PingPongService, type Stack } from '../support/icws-stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

/** Plays `rounds` of ping-pong over `ws` (opened or not), reading replies from its iterator. */
async function playPingPong(ws: IcWebSocket<PingPongService>, rounds: number): Promise<string[]> {
  const messages = ws[Symbol.asyncIterator]();
  await ws.opened;
  const texts: string[] = [];
  const first = await messages.next();
  texts.push((first.value as AppMessage).text);
  for (let round = 1; round <= rounds; round++) {
    ws.send(appMessage(`hello ${round}`));
    const reply = await messages.next();
    texts.push((reply.value as AppMessage).text);
  }
  return texts;
}

describe('IcWebSocket', () => {
  it('plays 20 certified ping-pong rounds, then opens and closes cleanly', async () => {
    const ws = stack.client(generateRandomIdentity());
    expect(ws.readyState).toBe(IcWebSocket.CONNECTING);
    const opened = nextEvent(ws, 'open');
    const texts = await playPingPong(ws, 20);
    await opened;
    expect(texts).toEqual(['ping', ...Array.from({ length: 20 }, (_, i) => `hello ${i + 1} ping`)]);
    expect(ws.readyState).toBe(IcWebSocket.OPEN);
    expect(ws.isConnectionEstablished()).toBe(true);

    const closed = nextEvent(ws, 'close');
    ws.close();
    expect(ws.readyState).toBe(IcWebSocket.CLOSING);
    const event = await closed;
    expect(event).toBeInstanceOf(IcWebSocketCloseEvent);
    expect(event).toMatchObject({ code: 1000, wasClean: true, error: undefined });
    expect(ws.readyState).toBe(IcWebSocket.CLOSED);
  });

  it('calls the on* handlers like a WebSocket, in order', async () => {
    const ws = stack.client(Ed25519KeyIdentity.generate());
    const seen: string[] = [];
    ws.onopen = () => seen.push('open');
    ws.onmessage = (event) => {
      expect(event).toBeInstanceOf(IcWebSocketMessageEvent);
      seen.push(`message ${event.data.text}`);
      if (event.data.text === 'ping') ws.send(appMessage('one'));
      else ws.close();
    };
    ws.onerror = (event) => seen.push(`error ${event.message}`);
    const closed = new Promise<void>((resolve) => {
      ws.onclose = (event) => {
        seen.push(`close ${event.code}`);
        resolve();
      };
    });
    await closed;
    expect(seen).toEqual(['open', 'message ping', 'message one ping', 'close 1000']);
  });

  it.each([
    ['an ECDSA P-256 identity (WebCrypto)', async () => ECDSAKeyIdentity.generate()],
    [
      'a DelegationIdentity (an Internet Identity session)',
      async () => {
        const root = Ed25519KeyIdentity.generate();
        const session = Ed25519KeyIdentity.generate();
        const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() + 60_000), { targets: [stack.canisterId] });
        return DelegationIdentity.fromDelegation(session, chain);
      },
    ],
  ])('works with %s', async (_name, makeIdentity) => {
    const identity = await makeIdentity();
    const ws = stack.client(identity);
    expect(await playPingPong(ws, 3)).toEqual(['ping', 'hello 1 ping', 'hello 2 ping', 'hello 3 ping']);
    expect(ws.getPrincipal().toText()).toBe(identity.getPrincipal().toText());
    const closed = nextEvent(ws, 'close');
    ws.close();
    expect((await closed).code).toBe(1000);
  });

  it('serves many clients at once through one gateway', async () => {
    const clients = Array.from({ length: 10 }, () => stack.client(generateRandomIdentity()));
    const results = await Promise.all(clients.map((ws) => playPingPong(ws, 5)));
    for (const texts of results) expect(texts.at(-1)).toBe('hello 5 ping');
    await Promise.all(
      clients.map((ws) => {
        const closed = nextEvent(ws, 'close');
        ws.close();
        return closed;
      }),
    );
  });

  it('checks every message of a burst queued in one round, large batches coming with cut-down witnesses', async () => {
    const identity = generateRandomIdentity();
    const ws = stack.client(identity);
    const messages = ws[Symbol.asyncIterator]();
    await ws.opened;
    expect((await messages.next()).value).toMatchObject({ text: 'ping' });
    const principal = identity.getPrincipal();
    const count = 400;
    const arg = (i: number) => new Uint8Array(IDL.encode([IDL.Principal, IDL.Vec(IDL.Nat8)], [principal, IDL.encode([AppMessageIdl], [{ text: `burst ${i}`, timestamp: 0n }])]));
    await Promise.all(Array.from({ length: count }, (_, i) => stack.replica.replica.update(stack.canisterId, 'send', arg(i), principal)));
    const texts: string[] = [];
    for (let i = 0; i < count; i++) texts.push(((await messages.next()).value as AppMessage).text);
    expect(texts).toEqual(Array.from({ length: count }, (_, i) => `burst ${i}`));
    ws.close();
  });

  it('ends its message iterator when closed', async () => {
    const ws = stack.client(generateRandomIdentity());
    const received: string[] = [];
    ws.onmessage = () => ws.close();
    for await (const message of ws) received.push(message.text);
    expect(received).toEqual(['ping']);
    await expect(ws.opened).rejects.toMatchObject({ code: 'ICWS_ERR_CLOSED_BEFORE_OPEN' });
  });

  it('closes cleanly when closed while still connecting', async () => {
    const ws = stack.client(generateRandomIdentity());
    const closed = nextEvent(ws, 'close');
    const errors: unknown[] = [];
    ws.onerror = (event) => errors.push(event.error);
    ws.close();
    expect(ws.readyState).toBe(IcWebSocket.CLOSING);
    expect(await closed).toMatchObject({ code: 1000, error: undefined });
    expect(errors).toEqual([]);
    await expect(ws.opened).rejects.toMatchObject({ code: 'ICWS_ERR_CLOSED_BEFORE_OPEN' });
  });

  it('refuses to send before the connection is open, and values that do not fit the Candid type', async () => {
    const ws = stack.client(generateRandomIdentity());
    expect(() => ws.send(appMessage('early'))).toThrow(expect.objectContaining({ code: 'ICWS_ERR_NOT_OPEN' }));
    await ws.opened;
    expect(() => ws.send({ text: 42 } as unknown as AppMessage)).toThrow(expect.objectContaining({ code: 'ICWS_ERR_INVALID_MESSAGE' }));
    ws.close();
    await nextEvent(ws, 'close');
  });
});
