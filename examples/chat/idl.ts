/**
 * The Candid interface of the chat canister, for clients.
 *
 * ```candid
 * type ChatEvent = variant { Message; Joined; Left };
 * type AppMessage = record {
 *   id : nat64;               // set by the canister: 1, 2, 3, … across the room
 *   text : text;
 *   timestamp : nat64;        // set by the canister: when it relayed the message (ns)
 *   sender : opt principal;   // set by the canister: who wrote it, or who joined / left
 *   kind : ChatEvent;         // set by the canister
 * };
 * service : {
 *   ws_open : (CanisterWsOpenArguments) -> (CanisterWsOpenResult);
 *   ws_close : (CanisterWsCloseArguments) -> (CanisterWsCloseResult);
 *   ws_message : (CanisterWsMessageArguments, opt AppMessage) -> (CanisterWsMessageResult);
 *   ws_get_messages : (CanisterWsGetMessagesArguments) -> (CanisterWsGetMessagesResult) query;
 *   history : () -> (vec AppMessage) query;
 *   members : () -> (vec principal) query;
 * }
 * ```
 * A client sends `{ text; kind = variant { Message } }` with any id and timestamp and no sender;
 * the canister fills those in and relays the message to everyone connected, the sender included.
 * Ids let a client that reconnects drop what it already has from the history it is replayed.
 */
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { wsServiceMethods } from '@icws/protocol';

/** What a chat message is about. */
export const ChatEvent = IDL.Variant({ Message: IDL.Null, Joined: IDL.Null, Left: IDL.Null });
export type ChatEvent = { Message: null } | { Joined: null } | { Left: null };

/** A chat message, both ways. */
export const AppMessage = IDL.Record({ id: IDL.Nat64, text: IDL.Text, timestamp: IDL.Nat64, sender: IDL.Opt(IDL.Principal), kind: ChatEvent });
export interface AppMessage {
  /** The room's message number, 1, 2, 3, … (messages and notices alike); 0 in what clients send. */
  id: bigint;
  text: string;
  /** Nanoseconds since the epoch, when the canister relayed it. */
  timestamp: bigint;
  /** Who wrote it (or joined, or left); empty in what clients send. */
  sender: [] | [Principal];
  kind: ChatEvent;
}

/** The canister's methods, shared by the interface factory and the canister. */
export const methods = {
  ...wsServiceMethods(AppMessage),
  history: IDL.Func([], [IDL.Vec(AppMessage)], ['query']),
  members: IDL.Func([], [IDL.Vec(IDL.Principal)], ['query']),
};

/** The interface factory `Actor.createActor` and the client SDK take. */
export const idlFactory: IDL.InterfaceFactory = () => IDL.Service(methods);

/** @returns the message a client sends to say `text`. */
export function chatMessage(text: string): AppMessage {
  return { id: 0n, text, timestamp: 0n, sender: [], kind: { Message: null } };
}
