/**
 * Large messages end to end: the embedded replica runs a ping-pong canister that can also queue
 * many copies of a message in one update, our gateway polls it and IcWebSocket clients verify what
 * they get. One client's queued messages add up to more than a poll reply may carry (and more than
 * the gateway reads of one response); the canister spreads them over polls, so they all arrive in
 * order and another client's round trips keep working while they drain.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, HttpAgent } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { CanisterSendResultIdl, createIcWebSocket, defineCanister, update, type WsResult } from '@icws/backend-cdk';
import { createWsConfig, generateRandomIdentity, IcWebSocket } from '@icws/client-sdk';
import { startGateway, type RunningGateway } from '@icws/gateway';
import { startReplica, type RunningReplica } from '@icws/replica';
import { AppMessage, idlFactory } from '../../examples/ping-pong/idl';
import { appMessage, type PingPongService } from '../support/icws-stack';

const KIB = 1024;
const MIB = 1024 * KIB;
/** Six messages of 1.5 MiB queued at once: 9 MiB, more than the 8 MiB the gateway reads of one response. */
const BIG_COUNT = 6;
const BIG_BYTES = 1.5 * MIB;

/** Ping-pong, plus `send_copies` to queue `count` copies of app message bytes in one update. */
const bulkPingPong = defineCanister((ic) => {
  const ws = createIcWebSocket<AppMessage>(ic, {
    appMessage: AppMessage,
    onOpen: ({ clientPrincipal }) => ws.sendMessage(clientPrincipal, { text: 'ping', timestamp: ic.time() }),
    onMessage: ({ clientPrincipal, message }) => ws.sendMessage(clientPrincipal, { text: `${ws.decodeMessage(message).text} ping`, timestamp: ic.time() }),
  });
  return {
    ...ws.methods,
    send_copies: update([IDL.Principal, IDL.Vec(IDL.Text)], [CanisterSendResultIdl], (principal, texts) => {
      for (const text of texts) {
        const result = ws.sendMessage(principal, { text, timestamp: ic.time() });
        if ('Err' in result) return result;
      }
      return { Ok: null };
    }),
    send_bytes: update([IDL.Principal, IDL.Nat32], [CanisterSendResultIdl], (principal, size) => ws.send(principal, new Uint8Array(Number(size)))),
  };
});

let replica: RunningReplica;
let gateway: RunningGateway;
let canisterId: Principal;
beforeAll(async () => {
  replica = await startReplica({ port: 0, canisters: [{ name: 'bulk', module: bulkPingPong }], log: () => undefined });
  canisterId = replica.canisterIds.bulk!;
  gateway = await startGateway({
    gatewayAddress: '127.0.0.1:0',
    icNetworkUrl: replica.url.origin,
    prometheusEndpoint: null,
    dataDir: mkdtempSync(join(tmpdir(), 'icws-large-gw-')),
    logLevel: 'silent',
  });
});
afterAll(async () => {
  await gateway?.close();
  await replica?.close();
});

function client(): IcWebSocket<PingPongService> {
  const agent = HttpAgent.createSync({ host: replica.url.origin });
  const canisterActor = Actor.createActor<PingPongService>(idlFactory, { agent, canisterId });
  const config = createWsConfig({ canisterId, canisterActor, identity: generateRandomIdentity(), networkUrl: replica.url.origin });
  return new IcWebSocket(gateway.url, undefined, config);
}

/** Calls `method` of the canister directly on the replica, as an update. */
async function call(method: string, types: IDL.Type[], args: unknown[]): Promise<WsResult> {
  const outcome = await replica.replica.update(canisterId, method, new Uint8Array(IDL.encode(types, args)), Principal.anonymous());
  if (outcome.status !== 'replied') throw new Error(`${method} was rejected: ${outcome.rejectMessage}`);
  return IDL.decode([CanisterSendResultIdl], outcome.reply)[0] as unknown as WsResult;
}

/** @returns the next `count` app messages of `messages`. */
async function take(messages: AsyncIterator<unknown>, count: number): Promise<AppMessage[]> {
  const out: AppMessage[] = [];
  while (out.length < count) {
    const next = await messages.next();
    if (next.done === true) throw new Error(`the connection ended after ${out.length} of ${count} messages`);
    out.push(next.value as AppMessage);
  }
  return out;
}

describe('a canister with large messages queued', () => {
  it('delivers them in order over several polls while another client’s round trips go on', async () => {
    const [big, small] = [client(), client()];
    const [bigIn, smallIn] = [big[Symbol.asyncIterator](), small[Symbol.asyncIterator]()];
    await Promise.all([big.opened, small.opened]);
    expect((await take(bigIn, 1))[0].text).toBe('ping');
    expect((await take(smallIn, 1))[0].text).toBe('ping');

    const texts = 'abcdef'.slice(0, BIG_COUNT).split('').map((letter) => letter.repeat(BIG_BYTES));
    expect(await call('send_copies', [IDL.Principal, IDL.Vec(IDL.Text)], [big.getPrincipal(), texts])).toEqual({ Ok: null });
    const received = take(bigIn, BIG_COUNT);

    const replies: string[] = [];
    for (let round = 1; round <= 5; round++) {
      small.send(appMessage(`small ${round}`));
      replies.push((await take(smallIn, 1))[0].text);
    }
    expect(replies).toEqual(Array.from({ length: 5 }, (_, i) => `small ${i + 1} ping`));
    expect((await received).map((m) => m.text === texts.shift())).toEqual(Array(BIG_COUNT).fill(true));
    expect(big.readyState).toBe(IcWebSocket.OPEN);

    big.close();
    small.close();
  });

  it('refuses at send a message too large for any poll reply, naming the limit', async () => {
    const ws = client();
    await ws.opened;
    const result = await call('send_bytes', [IDL.Principal, IDL.Nat32], [ws.getPrincipal(), 2 * MIB - 64 * KIB]);
    expect(result).toEqual({
      Err: expect.stringMatching(/^Message of 2031616 bytes is larger than the 2030848 bytes a ws_get_messages reply can carry \(maxReturnedBytes 2097152 /),
    });
    expect(ws.readyState).toBe(IcWebSocket.OPEN);
    ws.close();
  });
});
