/**
 * The Candid interface of the ping-pong canister, for clients: the `ws_*` methods with its
 * `AppMessage` as the `opt` second argument of `ws_message`, and `send`.
 *
 * ```candid
 * type AppMessage = record { text : text; timestamp : nat64 };
 * service : {
 *   ws_open : (CanisterWsOpenArguments) -> (CanisterWsOpenResult);
 *   ws_close : (CanisterWsCloseArguments) -> (CanisterWsCloseResult);
 *   ws_message : (CanisterWsMessageArguments, opt AppMessage) -> (CanisterWsMessageResult);
 *   ws_get_messages : (CanisterWsGetMessagesArguments) -> (CanisterWsGetMessagesResult) query;
 *   send : (principal, blob) -> (variant { Ok; Err : text });
 * }
 * ```
 */
import { IDL } from '@icp-sdk/core/candid';
import { CanisterSendResultIdl } from '@icws/backend-cdk';
import { wsServiceMethods } from '@icws/protocol';

/** The messages client and canister exchange: `record { text : text; timestamp : nat64 }`. */
export const AppMessage = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64 });

/** TypeScript form of {@link AppMessage}. */
export interface AppMessage {
  text: string;
  /** Nanoseconds since the epoch. */
  timestamp: bigint;
}

/** The canister's methods, shared by the interface factory and the canister. */
export const methods = {
  ...wsServiceMethods(AppMessage),
  send: IDL.Func([IDL.Principal, IDL.Vec(IDL.Nat8)], [CanisterSendResultIdl], []),
};

/** The interface factory `Actor.createActor` and the client SDK take. */
export const idlFactory: IDL.InterfaceFactory = () => IDL.Service(methods);
