/** The chat room: everyone connected gets every message, stamped by the canister, in one order. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import type { Principal } from '@icp-sdk/core/principal';
import { Replica, TestClock } from '@icws/replica';
import {
  CanisterWsGetMessagesResultIdl,
  decodeWebsocketMessage,
  encodeWsCloseArgs,
  encodeWsGetMessagesArgs,
  encodeWsMessageArgs,
  encodeWsOpenArgs,
  type CanisterWsGetMessagesResult,
} from '@icws/protocol';
import chat, { HISTORY_SIZE, MAX_TEXT_LENGTH } from './canister';
import { AppMessage, chatMessage, idlFactory } from './idl';

let replica: Replica;
let canisterId: Principal;
const gateway = Ed25519KeyIdentity.generate().getPrincipal();
let nextNonce = 0n;
let inboxes: Map<string, AppMessage[]>;

beforeEach(async () => {
  replica = await Replica.create({ clock: new TestClock(), signer: 'inline', log: () => undefined });
  canisterId = replica.install('chat', chat);
  nextNonce = 0n;
  inboxes = new Map();
});
afterEach(() => replica.close());

/** A chat participant: its own principal, sequence numbers and inbox. */
async function join() {
  const principal = Ed25519KeyIdentity.generate().getPrincipal();
  const key = { client_principal: principal, client_nonce: 1n };
  const opened = await replica.update(canisterId, 'ws_open', encodeWsOpenArgs({ client_nonce: 1n, gateway_principal: gateway }), principal);
  expect(opened.status).toBe('replied');
  let seq = 0n;
  return {
    principal,
    async say(content: Uint8Array | string) {
      const bytes = typeof content === 'string' ? new Uint8Array(IDL.encode([AppMessage], [chatMessage(content)])) : content;
      const msg = { client_key: key, sequence_num: ++seq, timestamp: 0n, is_service_message: false, content: bytes };
      const outcome = await replica.update(canisterId, 'ws_message', encodeWsMessageArgs({ msg }), principal);
      expect(outcome.status).toBe('replied');
    },
    async leave() {
      await replica.update(canisterId, 'ws_close', encodeWsCloseArgs({ client_key: key }), gateway);
    },
    /** What this participant received since the last call, app messages only. */
    async received(): Promise<AppMessage[]> {
      await poll();
      return inboxes.get(principal.toText())?.splice(0) ?? [];
    },
  };
}

/** Polls the gateway's queue and sorts the app messages into inboxes. */
async function poll(): Promise<void> {
  for (;;) {
    const outcome = await replica.query(canisterId, 'ws_get_messages', encodeWsGetMessagesArgs({ nonce: nextNonce, max_messages: [] }), gateway);
    if (outcome.status !== 'replied') throw new Error(outcome.rejectMessage);
    const [result] = IDL.decode([CanisterWsGetMessagesResultIdl], outcome.reply) as unknown as [CanisterWsGetMessagesResult];
    if ('Err' in result) throw new Error(result.Err);
    for (const output of result.Ok.messages) {
      const message = decodeWebsocketMessage(output.content);
      if (message.is_service_message) continue;
      const owner = message.client_key.client_principal.toText();
      if (!inboxes.has(owner)) inboxes.set(owner, []);
      inboxes.get(owner)!.push(IDL.decode([AppMessage], message.content.slice())[0] as unknown as AppMessage);
    }
    nextNonce += BigInt(result.Ok.messages.length);
    if (result.Ok.is_end_of_queue) return;
  }
}

const texts = (messages: AppMessage[]) => messages.map((m) => m.text);

describe('the chat canister', () => {
  it('relays each message to everyone, stamped with the sender', async () => {
    const [alice, bob] = [await join(), await join()];
    await alice.received();
    await bob.received();
    await alice.say('hi bob');
    for (const participant of [alice, bob]) {
      const [relayed] = await participant.received();
      expect(relayed).toMatchObject({ id: 3n, text: 'hi bob', kind: { Message: null } }); // after two joins
      expect(relayed.sender[0]?.toText()).toBe(alice.principal.toText());
      expect(relayed.timestamp).toBeGreaterThan(0n);
    }
  });

  it('announces who joins and who leaves', async () => {
    const alice = await join();
    expect(await alice.received()).toEqual([expect.objectContaining({ kind: { Joined: null }, text: `${alice.principal.toText()} joined` })]);
    const bob = await join();
    expect((await alice.received()).map((m) => m.kind)).toEqual([{ Joined: null }]);
    await bob.leave();
    const [left] = await alice.received();
    expect(left).toMatchObject({ kind: { Left: null }, text: `${bob.principal.toText()} left` });
  });

  it(`sends a joining client the last ${HISTORY_SIZE} messages first`, async () => {
    const alice = await join();
    for (let i = 1; i <= HISTORY_SIZE + 5; i++) await alice.say(`message ${i}`);
    const bob = await join();
    const received = await bob.received();
    expect(texts(received.slice(0, HISTORY_SIZE))).toEqual(Array.from({ length: HISTORY_SIZE }, (_, i) => `message ${i + 6}`));
    // Replayed with their original ids (alice's join was 1), so a reconnecting client can skip them.
    expect(received.slice(0, HISTORY_SIZE).map((m) => m.id)).toEqual(Array.from({ length: HISTORY_SIZE }, (_, i) => BigInt(i + 7)));
    expect(received[HISTORY_SIZE].kind).toEqual({ Joined: null });
  });

  it('drops empty and malformed messages without closing the sender, and cuts long ones', async () => {
    const alice = await join();
    await alice.received();
    await alice.say('   ');
    await alice.say(new Uint8Array([1, 2, 3]));
    await alice.say('x'.repeat(MAX_TEXT_LENGTH + 10));
    await alice.say('still here');
    expect((await alice.received()).map((m) => m.text.length)).toEqual([MAX_TEXT_LENGTH, 'still here'.length]);
  });

  it('lists its members and its history in queries', async () => {
    const [alice, bob] = [await join(), await join()];
    await bob.say('hello');
    const members = await replica.query(canisterId, 'members', new Uint8Array(IDL.encode([], [])), alice.principal);
    expect(members.status === 'replied' && (IDL.decode([IDL.Vec(IDL.Principal)], members.reply)[0] as unknown as Principal[]).map((p) => p.toText())).toEqual([
      alice.principal.toText(),
      bob.principal.toText(),
    ]);
    const history = await replica.query(canisterId, 'history', new Uint8Array(IDL.encode([], [])), alice.principal);
    expect(history.status === 'replied' && texts(IDL.decode([IDL.Vec(AppMessage)], history.reply)[0] as unknown as AppMessage[])).toEqual(['hello']);
  });

  it('keeps its history and numbering across a replica restart on the same state directory', async () => {
    const stateDir = mkdtempSync(joinPath(tmpdir(), 'icws-chat-'));
    try {
      await replica.close();
      replica = await Replica.create({ stateDir, clock: new TestClock(), signer: 'inline', log: () => undefined });
      canisterId = replica.install('chat', chat);
      const alice = await join();
      await alice.say('before the restart');
      await replica.close();

      replica = await Replica.create({ stateDir, clock: new TestClock(), signer: 'inline', log: () => undefined });
      expect(replica.install('chat', chat).toText()).toBe(canisterId.toText());
      nextNonce = 0n;
      const bob = await join();
      const received = await bob.received();
      expect(received.map((m) => [m.id, m.text])).toEqual([[2n, 'before the restart'], [3n, `${bob.principal.toText()} joined`]]);
    } finally {
      await replica.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('shows its AppMessage as the opt second argument of ws_message', () => {
    const service = idlFactory({ IDL }) as IDL.ServiceClass;
    const wsMessage = service._fields.find(([name]) => name === 'ws_message')![1];
    // Fields in Candid's field-hash order.
    expect(wsMessage.argTypes[1]?.display()).toBe('opt record {id:nat64; kind:variant {Left; Message; Joined}; text:text; sender:opt principal; timestamp:nat64}');
  });
});
