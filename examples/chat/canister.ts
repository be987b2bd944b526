import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { createIcWebSocket, defineCanister, IcwsError, query, StableCell, StableVec, WsErrorCode, type WsSettings } from '@icws/backend-cdk';
import { AppMessage, methods } from './idl';

/** How many recent messages a joining client is sent. */
export const HISTORY_SIZE = 20;
/** Longer messages are cut to this many characters. */
export const MAX_TEXT_LENGTH = 1_000;

/**
 * A chat room over IC WebSockets. Every message a client sends is stamped with an id, its sender
 * and the time, and relayed to everyone connected (the sender too, so everyone sees one order). A client
 * that joins first gets the last {@link HISTORY_SIZE} messages, then everyone learns who joined;
 * everyone also learns who left, and who is back: a client whose connection was lost that resumes
 * its session (through any gateway, within the recovery window) gets what it missed instead of the
 * history. Install with `init` to change the ack timings.
 *
 * The messages and the last id are stable collections: the room keeps its history across upgrades
 * and replica restarts (with a state directory), while connections, which live on the heap, start
 * over and clients reconnect.
 */
export default defineCanister((ic, init: Partial<WsSettings> | undefined) => {
  const messages = StableVec.open<AppMessage>(ic, 'messages', AppMessage);
  const lastId = StableCell.open<bigint>(ic, 'last_id', IDL.Nat64, 0n);
  const nextId = () => {
    const id = lastId.get() + 1n;
    lastId.set(id);
    return id;
  };
  /** The last {@link HISTORY_SIZE} messages, oldest first. */
  const recent = () => [...messages.values(Math.max(0, messages.length - HISTORY_SIZE))];

  const ws = createIcWebSocket<AppMessage>(ic, {
    ...init,
    appMessage: AppMessage,
    onOpen({ clientPrincipal }) {
      for (const message of recent()) ws.sendMessage(clientPrincipal, message);
      ws.broadcastMessage(notice(clientPrincipal, 'joined', { Joined: null }));
    },
    onMessage({ clientPrincipal, message }) {
      const text = decodeText(message);
      if (text === undefined) return;
      const relayed: AppMessage = { id: nextId(), text, timestamp: ic.time(), sender: [clientPrincipal], kind: { Message: null } };
      messages.push(relayed);
      ws.broadcastMessage(relayed);
    },
    onClose({ clientPrincipal }) {
      ws.broadcastMessage(notice(clientPrincipal, 'left', { Left: null }));
    },
    onResume({ clientPrincipal }) {
      ws.broadcastMessage(notice(clientPrincipal, 'is back', { Joined: null }));
    },
  });

  /** @returns the trimmed text of a chat message, or `undefined` for nothing worth relaying. */
  function decodeText(bytes: Uint8Array): string | undefined {
    let received: AppMessage;
    try {
      received = ws.decodeMessage(bytes);
    } catch (err) {
      // A malformed message is dropped, not trapped on: the client stays in sequence.
      if (err instanceof IcwsError && err.hasCode(WsErrorCode.APP_MESSAGE)) return undefined;
      throw err;
    }
    const text = received.text.trim();
    return text === '' ? undefined : [...text].slice(0, MAX_TEXT_LENGTH).join('');
  }

  function notice(who: Principal, verb: string, kind: AppMessage['kind']): AppMessage {
    return { id: nextId(), text: `${who.toText()} ${verb}`, timestamp: ic.time(), sender: [who], kind };
  }

  return {
    ...ws.methods,
    history: query(methods.history.argTypes, methods.history.retTypes, recent),
    members: query(methods.members.argTypes, methods.members.retTypes, () => ws.clients().map((c) => c.clientPrincipal)),
  };
});
