/**
 * The Candid interface of an IC WebSocket canister (upstream `ws_types.did` and
 * `service_messages.did` of ic-websocket-cdk-rs): IDL values (suffix `Idl`) and the TypeScript
 * type of each value. Field names and types are the wire's; do not rename them.
 */
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';

/** Principal of the client: the sender of its signed envelopes. */
export type ClientPrincipal = Principal;
/** Principal of a gateway: the identity it polls `ws_get_messages` with. */
export type GatewayPrincipal = Principal;

/** Identifies one connection: a client may reconnect with the same principal and a new nonce. */
export interface ClientKey {
  client_principal: ClientPrincipal;
  client_nonce: bigint;
}

/**
 * A message of either direction. Client to canister it travels as Candid (`ws_message`);
 * canister to client as CBOR (see `encodeWebsocketMessage`).
 */
export interface WebsocketMessage {
  client_key: ClientKey;
  /** 1, 2, 3, … per direction and connection. */
  sequence_num: bigint;
  /** Creation time, nanoseconds since the epoch. */
  timestamp: bigint;
  /** Whether `content` is a Candid `WebsocketServiceMessageContent` rather than an app message. */
  is_service_message: boolean;
  /** Candid-encoded application message, or service message. */
  content: Uint8Array;
}

/** One entry of a gateway's outbound queue, as `ws_get_messages` returns it. */
export interface CanisterOutputMessage {
  client_key: ClientKey;
  /** `<gateway principal>_<20-digit nonce>`, the message's path under `websocket` in the cert tree. */
  key: string;
  /** CBOR of the `WebsocketMessage` for the client. */
  content: Uint8Array;
}

/** A batch of queued messages with one certificate covering them all. */
export interface CanisterOutputCertifiedMessages {
  messages: CanisterOutputMessage[];
  /** The replica's certificate (CBOR) over the canister's certified data. */
  cert: Uint8Array;
  /** CBOR hash tree witnessing the batch's keys under `websocket`. */
  tree: Uint8Array;
  /** Whether the batch drained the queue (if not, the gateway polls again at once). */
  is_end_of_queue: boolean;
}

/**
 * The session a client asks to resume in `ws_open` (an icws extension: upstream peers neither send
 * nor read it). Only the session's own principal, the caller of `ws_open`, may resume it.
 */
export interface CanisterWsResumeArguments {
  /** The key of the session to resume: its principal must be the caller's. */
  client_key: ClientKey;
  /** Sequence number of the last canister message the client received in that session. */
  last_incoming_sequence_num: bigint;
}
/** Argument of `ws_open`. */
export interface CanisterWsOpenArguments {
  client_nonce: bigint;
  gateway_principal: GatewayPrincipal;
  /** Asks the canister to resume a previous session (icws extension); absent when the client does not. */
  resume?: [] | [CanisterWsResumeArguments];
}
/** Argument of `ws_close`. */
export interface CanisterWsCloseArguments {
  client_key: ClientKey;
}
/** First argument of `ws_message`. */
export interface CanisterWsMessageArguments {
  msg: WebsocketMessage;
}
/** Argument of `ws_get_messages`: the nonce of the first message the gateway wants. */
export interface CanisterWsGetMessagesArguments {
  nonce: bigint;
  /**
   * An icws extension: the most messages the gateway wants in this reply, which an icws CDK
   * honours up to its own maximum (`maxRequestedMessages`) and its byte cap. Absent (as upstream
   * gateways send it), the CDK returns up to its `maxNumberOfReturnedMessages`. An optional field,
   * so upstream CDKs, which do not know it, decode the argument as before.
   */
  max_messages: [] | [bigint];
}

/** Result of `ws_open`. */
export type CanisterWsOpenResult = { Ok: null } | { Err: string };
/** Result of `ws_close`. */
export type CanisterWsCloseResult = { Ok: null } | { Err: string };
/** Result of `ws_message`. */
export type CanisterWsMessageResult = { Ok: null } | { Err: string };
/** Result of `ws_get_messages`. */
export type CanisterWsGetMessagesResult = { Ok: CanisterOutputCertifiedMessages } | { Err: string };

/** The session a resume request got back (icws extension). */
export interface CanisterResumedSession {
  /** How many application messages the client had missed; they follow the open message, in order. */
  recovered_messages: bigint;
  /** Sequence number of the last client message the canister received: the client re-sends those after it. */
  last_incoming_sequence_num: bigint;
}
/** Why a resume request got a fresh session instead (icws extension). */
export type FreshSessionReason =
  /** The canister keeps no such session: its recovery window passed, it was closed for good, or it never existed. */
  | { UnknownSession: null }
  /** The canister knows the session but no longer keeps every message the client missed (recovery limits). */
  | { MessagesDropped: null }
  /** The canister keeps no sessions to resume (its recovery window is 0). */
  | { ResumeDisabled: null };
/** A fresh session given to a client that asked to resume (icws extension). */
export interface CanisterFreshSession {
  reason: FreshSessionReason;
}
/** The answer to a resume request, in the open message (icws extension). */
export type SessionResumeOutcome = { Resumed: CanisterResumedSession } | { Fresh: CanisterFreshSession };
/** Service message the canister sends when a connection opens. */
export interface CanisterOpenMessageContent {
  client_key: ClientKey;
  /** Present only when `ws_open` asked to resume a session: whether it was resumed (icws extension). */
  resume?: [] | [SessionResumeOutcome];
}
/** Service message the canister sends every ack interval. */
export interface CanisterAckMessageContent {
  /** Sequence number of the last message received from the client. */
  last_incoming_sequence_num: bigint;
}
/** Service message the client sends in answer to an ack. */
export interface ClientKeepAliveMessageContent {
  /** Sequence number of the last message received from the canister. */
  last_incoming_sequence_num: bigint;
}
/** Why the canister closes a connection. */
export type CloseMessageReason =
  | { WrongSequenceNumber: null }
  | { InvalidServiceMessage: null }
  | { KeepAliveTimeout: null }
  | { ClosedByApplication: null };
/** Service message the canister sends when it closes a connection. */
export interface CanisterCloseMessageContent {
  reason: CloseMessageReason;
}
/** Content of a `WebsocketMessage` whose `is_service_message` is true. */
export type WebsocketServiceMessageContent =
  | { OpenMessage: CanisterOpenMessageContent }
  | { AckMessage: CanisterAckMessageContent }
  | { KeepAliveMessage: ClientKeepAliveMessageContent }
  | { CloseMessage: CanisterCloseMessageContent };

const Blob = IDL.Vec(IDL.Nat8);
const textResult = <T extends IDL.Type>(ok: T) => IDL.Variant({ Ok: ok, Err: IDL.Text });

/** `principal` */
export const ClientPrincipalIdl = IDL.Principal;
/** `principal` */
export const GatewayPrincipalIdl = IDL.Principal;
/** `record { client_principal : principal; client_nonce : nat64 }` */
export const ClientKeyIdl = IDL.Record({ client_principal: ClientPrincipalIdl, client_nonce: IDL.Nat64 });
/** `record { client_key; sequence_num : nat64; timestamp : nat64; is_service_message : bool; content : blob }` */
export const WebsocketMessageIdl = IDL.Record({
  client_key: ClientKeyIdl,
  sequence_num: IDL.Nat64,
  timestamp: IDL.Nat64,
  is_service_message: IDL.Bool,
  content: Blob,
});
/** `record { client_key; key : text; content : blob }` */
export const CanisterOutputMessageIdl = IDL.Record({ client_key: ClientKeyIdl, key: IDL.Text, content: Blob });
/** `record { messages : vec CanisterOutputMessage; cert : blob; tree : blob; is_end_of_queue : bool }` */
export const CanisterOutputCertifiedMessagesIdl = IDL.Record({
  messages: IDL.Vec(CanisterOutputMessageIdl),
  cert: Blob,
  tree: Blob,
  is_end_of_queue: IDL.Bool,
});
/** `record { client_key : ClientKey; last_incoming_sequence_num : nat64 }` (icws extension) */
export const CanisterWsResumeArgumentsIdl = IDL.Record({ client_key: ClientKeyIdl, last_incoming_sequence_num: IDL.Nat64 });
/**
 * `record { client_nonce : nat64; gateway_principal : principal }`: `ws_open`'s argument as upstream
 * peers write it. A canister decoding with {@link CanisterWsOpenArgumentsIdl} reads it too.
 * @internal
 */
export const UpstreamWsOpenArgumentsIdl = IDL.Record({ client_nonce: IDL.Nat64, gateway_principal: GatewayPrincipalIdl });
/**
 * `record { client_nonce : nat64; gateway_principal : principal; resume : opt CanisterWsResumeArguments }`:
 * upstream's record with an `opt` field more, which Candid subtyping lets upstream peers ignore.
 */
export const CanisterWsOpenArgumentsIdl = IDL.Record({
  client_nonce: IDL.Nat64,
  gateway_principal: GatewayPrincipalIdl,
  resume: IDL.Opt(CanisterWsResumeArgumentsIdl),
});
/** `variant { Ok : null; Err : text }` */
export const CanisterWsOpenResultIdl = textResult(IDL.Null);
/** `record { client_key : ClientKey }` */
export const CanisterWsCloseArgumentsIdl = IDL.Record({ client_key: ClientKeyIdl });
/** `variant { Ok : null; Err : text }` */
export const CanisterWsCloseResultIdl = textResult(IDL.Null);
/** `record { msg : WebsocketMessage }` */
export const CanisterWsMessageArgumentsIdl = IDL.Record({ msg: WebsocketMessageIdl });
/** `variant { Ok : null; Err : text }` */
export const CanisterWsMessageResultIdl = textResult(IDL.Null);
/** `record { nonce : nat64; max_messages : opt nat64 }` (`max_messages` an icws extension) */
export const CanisterWsGetMessagesArgumentsIdl = IDL.Record({ nonce: IDL.Nat64, max_messages: IDL.Opt(IDL.Nat64) });
/**
 * `record { nonce : nat64 }`: the argument of `ws_get_messages` as upstream gateways send it and
 * upstream CDKs declare it; a gateway that asks for no count sends this.
 */
export const UpstreamWsGetMessagesArgumentsIdl = IDL.Record({ nonce: IDL.Nat64 });
/** `variant { Ok : CanisterOutputCertifiedMessages; Err : text }` */
export const CanisterWsGetMessagesResultIdl = textResult(CanisterOutputCertifiedMessagesIdl);

/** `record { recovered_messages : nat64; last_incoming_sequence_num : nat64 }` (icws extension) */
export const CanisterResumedSessionIdl = IDL.Record({ recovered_messages: IDL.Nat64, last_incoming_sequence_num: IDL.Nat64 });
/** `variant { UnknownSession; MessagesDropped; ResumeDisabled }` (icws extension) */
export const FreshSessionReasonIdl = IDL.Variant({ UnknownSession: IDL.Null, MessagesDropped: IDL.Null, ResumeDisabled: IDL.Null });
/** `record { reason : FreshSessionReason }` (icws extension) */
export const CanisterFreshSessionIdl = IDL.Record({ reason: FreshSessionReasonIdl });
/** `variant { Resumed : CanisterResumedSession; Fresh : CanisterFreshSession }` (icws extension) */
export const SessionResumeOutcomeIdl = IDL.Variant({ Resumed: CanisterResumedSessionIdl, Fresh: CanisterFreshSessionIdl });
/** `record { client_key : ClientKey; resume : opt SessionResumeOutcome }`: upstream's record with an `opt` field more. */
export const CanisterOpenMessageContentIdl = IDL.Record({ client_key: ClientKeyIdl, resume: IDL.Opt(SessionResumeOutcomeIdl) });
/** `record { last_incoming_sequence_num : nat64 }` */
export const CanisterAckMessageContentIdl = IDL.Record({ last_incoming_sequence_num: IDL.Nat64 });
/** `record { last_incoming_sequence_num : nat64 }` */
export const ClientKeepAliveMessageContentIdl = IDL.Record({ last_incoming_sequence_num: IDL.Nat64 });
/** `variant { WrongSequenceNumber; InvalidServiceMessage; KeepAliveTimeout; ClosedByApplication }` */
export const CloseMessageReasonIdl = IDL.Variant({
  WrongSequenceNumber: IDL.Null,
  InvalidServiceMessage: IDL.Null,
  KeepAliveTimeout: IDL.Null,
  ClosedByApplication: IDL.Null,
});
/** `record { reason : CloseMessageReason }` */
export const CanisterCloseMessageContentIdl = IDL.Record({ reason: CloseMessageReasonIdl });
/** `variant { OpenMessage; AckMessage; KeepAliveMessage; CloseMessage }` with the records above. */
export const WebsocketServiceMessageContentIdl = IDL.Variant({
  OpenMessage: CanisterOpenMessageContentIdl,
  AckMessage: CanisterAckMessageContentIdl,
  KeepAliveMessage: ClientKeepAliveMessageContentIdl,
  CloseMessage: CanisterCloseMessageContentIdl,
});

/**
 * `WebsocketServiceMessageContent` exactly as upstream declares it (its open message has no
 * `resume`): what the canister encodes a service message with unless it answers a resume request,
 * so that peers that never ask see upstream's bytes.
 * @internal
 */
export const UpstreamServiceMessageContentIdl = IDL.Variant({
  OpenMessage: IDL.Record({ client_key: ClientKeyIdl }),
  AckMessage: CanisterAckMessageContentIdl,
  KeepAliveMessage: ClientKeepAliveMessageContentIdl,
  CloseMessage: CanisterCloseMessageContentIdl,
});

/**
 * `CanisterWsGetMessagesResult` with `is_end_of_queue : opt bool`, which also decodes replies of
 * CDKs older than 0.3.1 (no such field); {@link decodeWsGetMessagesResult} decodes with it.
 */
export const CanisterWsGetMessagesResultCompatIdl = textResult(
  IDL.Record({ messages: IDL.Vec(CanisterOutputMessageIdl), cert: Blob, tree: Blob, is_end_of_queue: IDL.Opt(IDL.Bool) }),
);

/** The IC WebSocket methods of a canister's service, keyed by method name. */
export interface WsServiceMethods {
  ws_open: IDL.FuncClass;
  ws_close: IDL.FuncClass;
  ws_message: IDL.FuncClass;
  ws_get_messages: IDL.FuncClass;
}

/**
 * @returns the `ws_*` methods of a canister's service, to spread into its own `IDL.Service`.
 * @param appMessageType - the application's message type; `ws_message` takes
 *   `(CanisterWsMessageArguments, opt AppMessage)` so that clients can learn it from the interface.
 * @default appMessageType `IDL.Null`, i.e. `opt null`, what the upstream client sends
 */
export function wsServiceMethods(appMessageType: IDL.Type = IDL.Null): WsServiceMethods {
  return {
    ws_open: IDL.Func([CanisterWsOpenArgumentsIdl], [CanisterWsOpenResultIdl], []),
    ws_close: IDL.Func([CanisterWsCloseArgumentsIdl], [CanisterWsCloseResultIdl], []),
    ws_message: IDL.Func([CanisterWsMessageArgumentsIdl, IDL.Opt(appMessageType)], [CanisterWsMessageResultIdl], []),
    ws_get_messages: IDL.Func([CanisterWsGetMessagesArgumentsIdl], [CanisterWsGetMessagesResultIdl], ['query']),
  };
}

/**
 * @returns an interface factory (as `@dfinity/agent`'s `Actor.createActor` takes) of a service
 *   with exactly the four `ws_*` methods.
 * @param appMessageType - see {@link wsServiceMethods}
 */
export function wsServiceIdl(appMessageType?: IDL.Type): IDL.InterfaceFactory {
  return () => IDL.Service({ ...wsServiceMethods(appMessageType) });
}
