/**
 * `ws_get_messages` of a canister polled lately does not wait for the round under way when the
 * state the latest certificate covers has messages for it: it answers from that state, with that
 * certificate, and the messages of the round under way come with the next one. A poll that has had
 * every such message, and other queries, wait for the round.
 */
import { Cbor, Certificate, lookup_path, lookupResultToBuffer, LookupPathStatus, reconstruct, type HashTree } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { createIcWebSocket, defineCanister, query, sha256, update } from '@icws/backend-cdk';
import {
  CanisterWsGetMessagesResultIdl,
  encodeWsGetMessagesArgs,
  encodeWsOpenArgs,
  type CanisterOutputCertifiedMessages,
  type CanisterWsGetMessagesResult,
} from '@icws/protocol';
import { TestClock } from './clock';
import { Replica, type ReplicaOptions } from './replica';
import { yieldToEventLoop } from './round-scheduler';

const client = Principal.selfAuthenticating(Uint8Array.of(1, 2, 3));
const gateway = Principal.selfAuthenticating(Uint8Array.of(4, 5, 6));
const nothing = new Uint8Array(IDL.encode([], []));

/** A WebSocket canister whose `slowSend` takes long enough for a round of a few to give the event loop turns. */
const canister = defineCanister((ic) => {
  const ws = createIcWebSocket(ic, { appMessage: IDL.Text });
  let sent = 0;
  return {
    ...ws.methods,
    slowSend: update([], [], () => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      ws.sendMessage(client, `message ${++sent}`);
    }),
    sent: query([], [IDL.Nat32], () => sent),
  };
});

describe('ws_get_messages on a replica', () => {
  let replica: Replica;
  let id: Principal;

  async function start(options: ReplicaOptions = {}): Promise<void> {
    replica = await Replica.create({ clock: new TestClock(), log: () => undefined, verifier: 'inline', ...options });
    id = replica.install('ws', canister);
    const opened = await replica.update(id, 'ws_open', encodeWsOpenArgs({ client_nonce: 1n, gateway_principal: gateway }), client);
    expect(opened.status).toBe('replied');
  }
  afterEach(() => replica.close());

  /** Polls as the gateway; checks the certificate and the witness as a client does. @returns the texts of the app messages */
  async function poll(nonce = 0n): Promise<{ texts: string[]; batch: CanisterOutputCertifiedMessages }> {
    const outcome = await replica.query(id, 'ws_get_messages', encodeWsGetMessagesArgs({ nonce, max_messages: [] }), gateway);
    if (outcome.status !== 'replied') throw new Error(outcome.rejectMessage);
    const [result] = IDL.decode([CanisterWsGetMessagesResultIdl], outcome.reply) as unknown as [CanisterWsGetMessagesResult];
    if ('Err' in result) throw new Error(result.Err);
    const batch = result.Ok;
    const certificate = await Certificate.create({ certificate: batch.cert, rootKey: replica.rootKey.der, principal: { canisterId: id } });
    const certified = lookupResultToBuffer(certificate.lookup_path(['canister', id.toUint8Array(), 'certified_data']));
    const tree = Cbor.decode<HashTree>(batch.tree);
    expect(await reconstruct(tree)).toEqual(certified);
    for (const message of batch.messages) {
      expect(lookup_path(['websocket', message.key], tree)).toEqual({ status: LookupPathStatus.Found, value: sha256(message.content) });
    }
    const texts = batch.messages.map((m) => Cbor.decode<{ content: Uint8Array; is_service_message: boolean }>(m.content)).filter((m) => !m.is_service_message);
    return { texts: texts.map((m) => IDL.decode([IDL.Text], m.content)[0] as string), batch };
  }

  /** Gives the event loop turns until the replica's rounds are in `state`; false if they never are. */
  async function caught(state: 'executing' | 'signing', done: () => boolean): Promise<boolean> {
    while (!done()) {
      if (replica.roundState === state) return true;
      await yieldToEventLoop();
    }
    return false;
  }

  it('answers at once while a round executes, from the certified state, with its valid certificate', async () => {
    await start({ signer: 'inline' });
    await replica.update(id, 'slowSend', nothing, client);
    await poll(); // a gateway polls the canister
    let finished = 0;
    const calls = Array.from({ length: 5 }, () => replica.update(id, 'slowSend', nothing, client).then(() => finished++));
    expect(await caught('executing', () => finished > 0)).toBe(true);
    const { texts } = await poll();
    expect(replica.roundState).toBe('executing');
    expect(texts).toEqual(['message 1']);
    expect(replica.stats.queriesFromCertifiedState).toBe(1);
    await Promise.all(calls);
    expect((await poll()).texts).toEqual(['message 1', 'message 2', 'message 3', 'message 4', 'message 5', 'message 6']);
  });

  it('answers at once while a round is signed (on the worker)', async () => {
    await start();
    await poll();
    for (let attempt = 1; attempt <= 20; attempt++) {
      let finished = false;
      const call = replica.update(id, 'slowSend', nothing, client).then(() => (finished = true));
      if (await caught('signing', () => finished)) {
        const { texts } = await poll();
        expect(replica.roundState).toBe('signing');
        expect(texts).toHaveLength(attempt - 1);
        await call;
        expect((await poll()).texts).toHaveLength(attempt);
        return;
      }
      await call;
    }
    throw new Error('no poll arrived while a round was signed in 20 attempts');
  });

  it('lets a poll that has had every certified message wait for the round under way, and answers it with that round', async () => {
    await start({ signer: 'inline' });
    await replica.update(id, 'slowSend', nothing, client);
    const { batch } = await poll();
    const next = BigInt(batch.messages.length); // the open message and message 1
    let finished = 0;
    const calls = Array.from({ length: 5 }, () => replica.update(id, 'slowSend', nothing, client).then(() => finished++));
    expect(await caught('executing', () => finished > 0)).toBe(true);
    const { texts } = await poll(next);
    expect(texts).toEqual(['message 2', 'message 3', 'message 4', 'message 5', 'message 6']);
    expect(replica.stats.queriesFromCertifiedState).toBe(0);
    await Promise.all(calls);
  });

  it('lets other queries wait for the round under way, as before', async () => {
    await start({ signer: 'inline' });
    let finished = 0;
    const calls = Array.from({ length: 3 }, () => replica.update(id, 'slowSend', nothing, client).then(() => finished++));
    expect(await caught('executing', () => finished > 0)).toBe(true);
    const outcome = await replica.query(id, 'sent', nothing, client);
    expect(outcome.status === 'replied' && IDL.decode([IDL.Nat32], outcome.reply)).toEqual([3]);
    expect(replica.stats.queriesFromCertifiedState).toBe(0);
    await Promise.all(calls);
  });

  it('keeps answering from the certified state while a canister is installed', async () => {
    await start({ signer: 'inline' });
    await replica.update(id, 'slowSend', nothing, client);
    await poll();
    replica.install('another', canister);
    expect((await poll()).texts).toEqual(['message 1']);
    expect(replica.stats.queriesFromCertifiedState).toBe(1);
  });

  it('keeps answering from the certified state, with a valid certificate, while another canister is upgraded', async () => {
    await start({ signer: 'inline' });
    const certifying = (data: number) => defineCanister((ic) => {
      ic.setCertifiedData(Uint8Array.of(data));
      return {};
    });
    const other = replica.install('other', certifying(1));
    await replica.update(id, 'slowSend', nothing, client);
    await poll();
    replica.upgrade(other, certifying(2));
    expect((await poll()).texts).toEqual(['message 1']);
    expect(replica.stats.queriesFromCertifiedState).toBe(1);
  });

  it.each([
    ['keeps the certified state of a canister polled within 10 s: a poll during a round answers from it', 9_000, true],
    ['keeps no certificate for a canister last polled over 10 s ago: its next poll during a round waits for it', 10_001, false],
  ])('%s', async (_what, pauseMs, fromCertifiedState) => {
    const clock = new TestClock();
    await start({ signer: 'inline', clock });
    await replica.update(id, 'slowSend', nothing, client);
    expect((await poll()).texts).toEqual(['message 1']);
    await clock.advance(pauseMs);
    await replica.update(id, 'slowSend', nothing, client); // the round after the pause keeps its state for polls, or not
    const answeredBefore = replica.stats.queriesFromCertifiedState;
    let finished = 0;
    const calls = Array.from({ length: 3 }, () => replica.update(id, 'slowSend', nothing, client).then(() => finished++));
    expect(await caught('executing', () => finished > 0)).toBe(true);
    const { texts } = await poll();
    expect(texts).toEqual(fromCertifiedState ? ['message 1', 'message 2'] : ['message 1', 'message 2', 'message 3', 'message 4', 'message 5']);
    expect(replica.stats.queriesFromCertifiedState - answeredBefore).toBe(fromCertifiedState ? 1 : 0);
    await Promise.all(calls);
  });

  it('keeps no certificate for a canister nobody polled lately: its first poll during a round waits for it', async () => {
    await start({ signer: 'inline' });
    await replica.update(id, 'slowSend', nothing, client);
    let finished = 0;
    const calls = Array.from({ length: 3 }, () => replica.update(id, 'slowSend', nothing, client).then(() => finished++));
    expect(await caught('executing', () => finished > 0)).toBe(true);
    expect((await poll()).texts).toEqual(['message 1', 'message 2', 'message 3', 'message 4']);
    expect(replica.stats.queriesFromCertifiedState).toBe(0);
    await Promise.all(calls);
  });
});
