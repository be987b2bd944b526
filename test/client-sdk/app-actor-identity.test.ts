/**
 * IcWebSocket takes what an app built on @icp-sdk/core already has: its own actor of the canister
 * (`canisterActor`) and its user's identity, here a `DelegationIdentity` as Internet Identity
 * hands out (a session key delegated from the user's key). Certified round trips go through our
 * gateway, and the canister knows the client by the delegating (the user's) principal.
 */
import { Actor, HttpAgent, type ActorMethod, type ActorSubclass } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { IcWebSocket } from '@icws/client-sdk';
import { AppMessage, idlFactory } from '../../examples/ping-pong/idl';
import { appMessage, nextEvent, startStack, type PingPongService, type Stack } from '../support/icws-stack';

/** The ping-pong canister as the app's actor sees it: the `ws_*` methods and `send`. */
type PingPongActorService = PingPongService & {
  send: ActorMethod<[Principal, Uint8Array], { Ok: null } | { Err: string }>;
};

let stack: Stack;
let user: Ed25519KeyIdentity;
let session: Ed25519KeyIdentity;
let identity: DelegationIdentity;
let actor: ActorSubclass<PingPongActorService>;

beforeAll(async () => {
  stack = await startStack();
  user = Ed25519KeyIdentity.generate();
  session = Ed25519KeyIdentity.generate();
  const chain = await DelegationChain.create(user, session.getPublicKey(), new Date(Date.now() + 10 * 60_000), { targets: [stack.canisterId] });
  identity = DelegationIdentity.fromDelegation(session, chain);
  const agent = await HttpAgent.create({ host: stack.replica.url.origin, identity, shouldFetchRootKey: true });
  actor = Actor.createActor<PingPongActorService>(idlFactory, { agent, canisterId: stack.canisterId });
});
afterAll(() => stack.close());

/** @returns a socket through the gateway configured with the app's own actor and identity. */
function appSocket(): IcWebSocket<PingPongActorService> {
  return new IcWebSocket(stack.gateway.url, undefined, {
    canisterId: stack.canisterId,
    canisterActor: actor,
    identity,
    networkUrl: stack.replica.url.origin,
  });
}

describe('IcWebSocket with an @icp-sdk/core app', () => {
  it('plays certified rounds with the app actor and a DelegationIdentity; the canister knows the user', async () => {
    const ws = appSocket();
    const messages = ws[Symbol.asyncIterator]();
    await ws.opened;
    expect((await messages.next()).value).toMatchObject({ text: 'ping' });
    for (let round = 1; round <= 3; round++) {
      ws.send(appMessage(`round ${round}`));
      expect((await messages.next()).value).toMatchObject({ text: `round ${round} ping` });
    }

    // The socket's principal is the user's, of the app's own Principal class.
    const principal = ws.getPrincipal();
    expect(principal).toBeInstanceOf(Principal);
    expect(principal.toText()).toBe(user.getPrincipal().toText());
    expect(principal.toText()).not.toBe(session.getPrincipal().toText());

    // The canister has a connection for the user's principal and none for the session key's: a
    // message it pushes to the user (through the app's actor, a certified call) reaches this socket.
    const pushed = IDL.encode([AppMessage], [appMessage('pushed to the user')]);
    await expect(actor.send(user.getPrincipal(), pushed)).resolves.toEqual({ Ok: null });
    expect((await messages.next()).value).toMatchObject({ text: 'pushed to the user' });
    const toSessionKey = await actor.send(session.getPrincipal(), pushed);
    expect(toSessionKey).toHaveProperty('Err');

    const closed = nextEvent(ws as unknown as IcWebSocket<PingPongService>, 'close');
    ws.close();
    expect((await closed).code).toBe(1000);
  });

  it('refuses a delegation that has expired, naming the problem', async () => {
    const expired = await DelegationChain.create(user, session.getPublicKey(), new Date(Date.now() - 60_000));
    const ws = new IcWebSocket(stack.gateway.url, undefined, {
      canisterId: stack.canisterId,
      canisterActor: actor,
      identity: DelegationIdentity.fromDelegation(session, expired),
      networkUrl: stack.replica.url.origin,
    });
    const closed = nextEvent(ws as unknown as IcWebSocket<PingPongService>, 'close');
    await expect(ws.opened).rejects.toMatchObject({ code: 'ICWS_ERR_CONNECTION_REFUSED', message: expect.stringContaining('ICWS_ERR_DELEGATION_EXPIRED') });
    expect(await closed).toMatchObject({ code: 1011, reason: expect.stringMatching(/^ICWS_ERR_ENVELOPE_REFUSED: ICWS_ERR_DELEGATION_EXPIRED \(403\): sender_delegation\[0\] expired/) });
  });
});
