/**
 * The ping-pong example as real peers see it: a client with its own Ed25519 key calls `ws_open`
 * and `ws_message` through a stock HttpAgent and Actor built from the example's `idlFactory`, and
 * a second identity plays the gateway, polling `ws_get_messages` and checking every certificate.
 */
import { Actor, Cbor, Certificate, HttpAgent, lookup_path, LookupPathStatus, reconstruct, type ActorSubclass, type HashTree, type Identity } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import type { Principal } from '@icp-sdk/core/principal';
import { type WsResult } from '@icws/backend-cdk';
import { startReplica, type RunningReplica } from '@icws/replica';
import {
  decodeServiceMessage,
  decodeWebsocketMessage,
  encodeServiceMessage,
  keepAliveMessage,
  type CanisterOutputCertifiedMessages,
  type CanisterWsCloseArguments,
  type CanisterWsGetMessagesResult,
  type CanisterWsMessageArguments,
  type CanisterWsOpenArguments,
} from '@icws/protocol';
import { createHash } from 'node:crypto';
import pingPong from '../../examples/ping-pong/canister';
import { AppMessage, idlFactory } from '../../examples/ping-pong/idl';

interface PingPong {
  ws_open(args: CanisterWsOpenArguments): Promise<WsResult>;
  ws_close(args: CanisterWsCloseArguments): Promise<WsResult>;
  ws_message(args: CanisterWsMessageArguments, app: [] | [AppMessage]): Promise<WsResult>;
  ws_get_messages(args: { nonce: bigint; max_messages: [] | [bigint] }): Promise<CanisterWsGetMessagesResult>;
  send(principal: Principal, bytes: Uint8Array): Promise<WsResult>;
}

let running: RunningReplica;
let canisterId: Principal;
beforeAll(async () => {
  running = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong }], log: () => undefined });
  canisterId = running.canisterIds.ping_pong;
});
afterAll(() => running.close());

async function actorFor(identity?: Identity): Promise<{ actor: ActorSubclass<PingPong>; agent: HttpAgent }> {
  const agent = await HttpAgent.create({ host: running.url.origin, identity, shouldFetchRootKey: true });
  return { agent, actor: Actor.createActor<PingPong>(idlFactory, { agent, canisterId }) };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const encodeApp = (text: string) => new Uint8Array(IDL.encode([AppMessage], [{ text, timestamp: 0n }]));
const decodeApp = (bytes: Uint8Array) => IDL.decode([AppMessage], bytes.slice())[0] as unknown as AppMessage;

/** Verifies a poll as a client would, with the agent's own certificate and tree functions. */
async function verify(batch: CanisterOutputCertifiedMessages, rootKey: Uint8Array): Promise<void> {
  const certificate = await Certificate.create({ certificate: batch.cert, rootKey, principal: { canisterId } });
  const certified = certificate.lookup_path(['canister', canisterId.toUint8Array(), 'certified_data']);
  expect(certified.status).toBe(LookupPathStatus.Found);
  const tree = Cbor.decode<HashTree>(batch.tree);
  expect(hex(await reconstruct(tree))).toBe(hex((certified as { value: Uint8Array }).value));
  for (const message of batch.messages) {
    const leaf = lookup_path(['websocket', message.key], tree);
    expect(leaf.status).toBe(LookupPathStatus.Found);
    expect(hex((leaf as { value: Uint8Array }).value)).toBe(createHash('sha256').update(message.content).digest('hex'));
  }
}

describe('the ping-pong canister through HttpAgent and Actor', () => {
  test('opens, plays ping-pong, keeps alive and closes with certified replies', async () => {
    const clientIdentity = Ed25519KeyIdentity.generate();
    const gatewayIdentity = Ed25519KeyIdentity.generate();
    const { actor: client, agent } = await actorFor(clientIdentity);
    const { actor: gateway } = await actorFor(gatewayIdentity);
    const rootKey = agent.rootKey!;
    const key = { client_principal: clientIdentity.getPrincipal(), client_nonce: 12_345n };

    expect(await client.ws_open({ client_nonce: key.client_nonce, gateway_principal: gatewayIdentity.getPrincipal(), resume: [] })).toEqual({ Ok: null });
    let nonce = 0n;
    const poll = async () => {
      const result = await gateway.ws_get_messages({ nonce, max_messages: [] });
      if (!('Ok' in result)) throw new Error(result.Err);
      await verify(result.Ok, rootKey);
      nonce += BigInt(result.Ok.messages.length);
      return result.Ok.messages.map((m) => decodeWebsocketMessage(m.content));
    };

    const [open, ping] = await poll();
    expect(decodeServiceMessage(open.content.slice())).toEqual({ OpenMessage: { client_key: key } });
    expect([open.sequence_num, ping.sequence_num]).toEqual([1n, 2n]);
    expect(decodeApp(ping.content).text).toBe('ping');

    let seq = 0n;
    const sendMessage = (content: Uint8Array, is_service_message = false) =>
      client.ws_message({ msg: { client_key: key, sequence_num: ++seq, timestamp: BigInt(Date.now()) * 1_000_000n, is_service_message, content } }, []);
    for (const text of ['hello', 'world']) {
      expect(await sendMessage(encodeApp(text))).toEqual({ Ok: null });
      const [reply] = await poll();
      expect(decodeApp(reply.content).text).toBe(`${text} ping`);
    }
    expect(await sendMessage(encodeServiceMessage(keepAliveMessage(4n)), true)).toEqual({ Ok: null });

    const { actor: anyone } = await actorFor();
    expect(await anyone.send(key.client_principal, encodeApp('pushed'))).toEqual({ Ok: null });
    expect(decodeApp((await poll())[0].content).text).toBe('pushed');

    expect(await gateway.ws_close({ client_key: key })).toEqual({ Ok: null });
    // The connection is gone, but its client may resume the session: a message sent now is kept for it.
    expect(await anyone.send(key.client_principal, encodeApp('kept for a resume'))).toEqual({ Ok: null });
  });

  test('refuses ws_open from the anonymous principal', async () => {
    const { actor } = await actorFor();
    expect(await actor.ws_open({ client_nonce: 1n, gateway_principal: Ed25519KeyIdentity.generate().getPrincipal(), resume: [] })).toEqual({
      Err: 'Anonymous principal is not allowed',
    });
  });

  test('shows its AppMessage as the opt second argument of ws_message', () => {
    const service = idlFactory({ IDL });
    const wsMessage = (service as IDL.ServiceClass)._fields.find(([name]) => name === 'ws_message')![1];
    expect(wsMessage.argTypes.map((t) => t.display())).toEqual([expect.stringContaining('msg:record'), 'opt record {text:text; timestamp:nat64}']);
  });
});
