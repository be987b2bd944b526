/**
 * The protocol's Candid interface as `.did` text, for documentation and for canisters that publish
 * their interface. It describes the same types as the IDL values of `./candid`, which are what the
 * code uses; a test checks that the two agree field by field.
 */

/** The types of the `ws_*` methods (upstream `ws_types.did`, with the `opt` field of the resume extension). */
export const WS_TYPES_DID = `type ClientPrincipal = principal;
type GatewayPrincipal = principal;
type ClientKey = record {
  client_principal : ClientPrincipal;
  client_nonce : nat64;
};

type WebsocketMessage = record {
  client_key : ClientKey;
  sequence_num : nat64;
  timestamp : nat64;
  is_service_message : bool;
  content : blob;
};

type CanisterOutputMessage = record {
  client_key : ClientKey;
  key : text;
  content : blob;
};

type CanisterOutputCertifiedMessages = record {
  messages : vec CanisterOutputMessage;
  cert : blob;
  tree : blob;
  is_end_of_queue : bool;
};

// icws extension: the session a client asks to resume (upstream peers ignore the opt field).
type CanisterWsResumeArguments = record {
  client_key : ClientKey;
  last_incoming_sequence_num : nat64;
};

type CanisterWsOpenArguments = record {
  client_nonce : nat64;
  gateway_principal : GatewayPrincipal;
  resume : opt CanisterWsResumeArguments;
};
type CanisterWsOpenResult = variant { Ok : null; Err : text };

type CanisterWsCloseArguments = record {
  client_key : ClientKey;
};
type CanisterWsCloseResult = variant { Ok : null; Err : text };

type CanisterWsMessageArguments = record {
  msg : WebsocketMessage;
};
type CanisterWsMessageResult = variant { Ok : null; Err : text };

// max_messages, an icws extension, is the most messages the gateway wants in the reply
// (upstream gateways leave it out, upstream CDKs ignore it).
type CanisterWsGetMessagesArguments = record {
  nonce : nat64;
  max_messages : opt nat64;
};
type CanisterWsGetMessagesResult = variant {
  Ok : CanisterOutputCertifiedMessages;
  Err : text;
};
`;

/**
 * The Candid of the service messages carried in `WebsocketMessage.content` when
 * `is_service_message` is true (upstream `service_messages.did`, with the `opt` field of the resume
 * extension). Not part of the service.
 */
export const WS_SERVICE_MESSAGES_DID = `// icws extension: the answer to a resume request (only when ws_open carried one).
type CanisterResumedSession = record {
  recovered_messages : nat64;
  last_incoming_sequence_num : nat64;
};

type FreshSessionReason = variant {
  UnknownSession;
  MessagesDropped;
  ResumeDisabled;
};

type CanisterFreshSession = record {
  reason : FreshSessionReason;
};

type SessionResumeOutcome = variant {
  Resumed : CanisterResumedSession;
  Fresh : CanisterFreshSession;
};

type CanisterOpenMessageContent = record {
  client_key : ClientKey;
  resume : opt SessionResumeOutcome;
};

type CanisterAckMessageContent = record {
  last_incoming_sequence_num : nat64;
};

type ClientKeepAliveMessageContent = record {
  last_incoming_sequence_num : nat64;
};

type CloseMessageReason = variant {
  WrongSequenceNumber;
  InvalidServiceMessage;
  KeepAliveTimeout;
  ClosedByApplication;
};

type CanisterCloseMessageContent = record {
  reason : CloseMessageReason;
};

type WebsocketServiceMessageContent = variant {
  OpenMessage : CanisterOpenMessageContent;
  AckMessage : CanisterAckMessageContent;
  KeepAliveMessage : ClientKeepAliveMessageContent;
  CloseMessage : CanisterCloseMessageContent;
};
`;

/**
 * The service every IC WebSocket canister exposes, with its types. `AppMessage` stands for the
 * application's message type: a canister declares its own (the optional second argument of
 * `ws_message` is never sent with a value; it only publishes the type to clients).
 */
export const WS_SERVICE_DID = `${WS_TYPES_DID}
// Replace with the application's message type.
type AppMessage = reserved;

service : {
  ws_open : (CanisterWsOpenArguments) -> (CanisterWsOpenResult);
  ws_close : (CanisterWsCloseArguments) -> (CanisterWsCloseResult);
  ws_message : (CanisterWsMessageArguments, opt AppMessage) -> (CanisterWsMessageResult);
  ws_get_messages : (CanisterWsGetMessagesArguments) -> (CanisterWsGetMessagesResult) query;
}
`;
