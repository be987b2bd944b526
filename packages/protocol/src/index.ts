/**
 * `@icws/protocol`: the IC WebSocket protocol's types and encodings, defined once for the
 * canister CDK, the gateway and the client SDK. Browser-safe: no Node-only APIs.
 */
export {
  IcwsError,
  defineErrorCodes,
  codeOfWireText,
  describeError,
  type IcwsErrorKind,
  type IcwsErrorOptions,
  type ErrorCodeInfo,
  type ErrorCodeRegistry,
} from './icws-error';
export { ProtocolError, ProtocolErrorCode, PROTOCOL_ERROR_CODES, type ProtocolErrorKind, type ProtocolErrorOptions } from './errors';
export {
  CLOSE_CODES,
  CloseCode,
  MAX_CLOSE_REASON_BYTES,
  closeCodeInfo,
  closeReason,
  isReconnectable,
  type CloseCodeInfo,
  type CloseCodeName,
  type CloseCodeSender,
} from './close-codes';
export {
  COMMUNICATION_LATENCY_BOUND_MS,
  DEFAULT_SEND_ACK_INTERVAL_MS,
  CLIENT_KEEP_ALIVE_TIMEOUT_MS,
  CLIENT_OPEN_TIMEOUT_MS,
  clientAckTimeoutMs,
  DEFAULT_MAX_NUMBER_OF_RETURNED_MESSAGES,
  MESSAGES_TO_DELETE_COUNT,
  INITIAL_OUTGOING_MESSAGE_NONCE,
  INITIAL_CLIENT_SEQUENCE_NUM,
  FIRST_CANISTER_SEQUENCE_NUM,
  DEFAULT_POLLING_INTERVAL_MS,
  POLLING_TIMEOUT_MS,
  DEFAULT_MAX_CERTIFICATE_AGE_MINUTES,
  DEFAULT_GATEWAY_LISTEN_ADDRESS,
  DEFAULT_IC_NETWORK_URL,
  CERTIFICATION_LABEL,
  WS_OPEN_METHOD,
  WS_MESSAGE_METHOD,
  WS_CLOSE_METHOD,
  WS_GET_MESSAGES_METHOD,
} from './defaults';
export {
  ClientPrincipalIdl,
  GatewayPrincipalIdl,
  ClientKeyIdl,
  WebsocketMessageIdl,
  CanisterOutputMessageIdl,
  CanisterOutputCertifiedMessagesIdl,
  CanisterWsResumeArgumentsIdl,
  CanisterWsOpenArgumentsIdl,
  CanisterWsOpenResultIdl,
  CanisterWsCloseArgumentsIdl,
  CanisterWsCloseResultIdl,
  CanisterWsMessageArgumentsIdl,
  CanisterWsMessageResultIdl,
  CanisterWsGetMessagesArgumentsIdl,
  UpstreamWsGetMessagesArgumentsIdl,
  CanisterWsGetMessagesResultIdl,
  CanisterWsGetMessagesResultCompatIdl,
  CanisterResumedSessionIdl,
  FreshSessionReasonIdl,
  CanisterFreshSessionIdl,
  SessionResumeOutcomeIdl,
  CanisterOpenMessageContentIdl,
  CanisterAckMessageContentIdl,
  ClientKeepAliveMessageContentIdl,
  CloseMessageReasonIdl,
  CanisterCloseMessageContentIdl,
  WebsocketServiceMessageContentIdl,
  wsServiceMethods,
  wsServiceIdl,
  type WsServiceMethods,
  type ClientPrincipal,
  type GatewayPrincipal,
  type ClientKey,
  type WebsocketMessage,
  type CanisterOutputMessage,
  type CanisterOutputCertifiedMessages,
  type CanisterWsResumeArguments,
  type CanisterWsOpenArguments,
  type CanisterWsOpenResult,
  type CanisterWsCloseArguments,
  type CanisterWsCloseResult,
  type CanisterWsMessageArguments,
  type CanisterWsMessageResult,
  type CanisterWsGetMessagesArguments,
  type CanisterWsGetMessagesResult,
  type CanisterResumedSession,
  type FreshSessionReason,
  type CanisterFreshSession,
  type SessionResumeOutcome,
  type CanisterOpenMessageContent,
  type CanisterAckMessageContent,
  type ClientKeepAliveMessageContent,
  type CloseMessageReason,
  type CanisterCloseMessageContent,
  type WebsocketServiceMessageContent,
} from './candid';
export { WS_TYPES_DID, WS_SERVICE_MESSAGES_DID, WS_SERVICE_DID } from './did';
export {
  encodeCandid,
  decodeCandid,
  encodeWsOpenArgs,
  decodeWsOpenArgs,
  encodeWsMessageArgs,
  decodeWsMessageArgs,
  encodeWsCloseArgs,
  decodeWsCloseArgs,
  encodeWsGetMessagesArgs,
  decodeWsGetMessagesArgs,
  decodeWsGetMessagesResult,
  encodeWsGetMessagesResult,
  decodeWsMessageArgsFast,
  decodeWsGetMessagesArgsFast,
} from './candid-codec';
export { compileCandid, type CandidCodec } from './compiled-candid';
export { principalText, principalFromBytes, PRINCIPAL_CACHE_CAPACITY } from './principal-cache';
export { encodeWebsocketMessage, decodeWebsocketMessage } from './websocket-message';
export {
  encodeServiceMessage,
  decodeServiceMessage,
  serviceMessageKind,
  closeReasonKind,
  openMessage,
  ackMessage,
  keepAliveMessage,
  closeMessage,
  resumedSession,
  freshSession,
  freshSessionReasonKind,
  type ServiceMessageKind,
  type CloseReasonKind,
  type FreshSessionReasonKind,
} from './service-message';
export {
  encodeEnvelope,
  encodeCallEnvelope,
  type PrincipalInput,
} from './envelope';
export { decodeEnvelope } from './envelope-decode';
export type {
  RequestType,
  ContentBase,
  CallContent,
  QueryContent,
  ReadStateContent,
  RequestContent,
  Delegation,
  SignedDelegation,
  Envelope,
  CallRequestContent,
  CallEnvelope,
} from './envelope-types';
export {
  MAX_PRINCIPAL_BYTES,
  MAX_NONCE_BYTES,
  MAX_DELEGATIONS,
  MAX_DELEGATION_TARGETS,
  MAX_READ_STATE_PATHS,
  MAX_PATH_LABELS,
} from './envelope-limits';
export {
  requestIdOf,
  createRequestIdOf,
  type RequestIdOf,
  type Sha256,
  type HashableValue,
  type HashableMap,
  type PrincipalBytes,
} from './request-id';
export {
  IC_REQUEST_DOMAIN_SEPARATOR,
  IC_REQUEST_AUTH_DELEGATION_DOMAIN_SEPARATOR,
  IC_RESPONSE_DOMAIN_SEPARATOR,
  IC_STATE_ROOT_DOMAIN_SEPARATOR,
  withDomainSeparator,
} from './domain-separators';
export { queryReplyHash, nodeSignatureMessage, type QueryReplyOutcome } from './node-signature';
export {
  SELF_DESCRIBE_TAG,
  MAJOR_UNSIGNED,
  MAJOR_BYTES,
  MAJOR_TEXT,
  MAJOR_ARRAY,
  MAJOR_MAP,
  cborHead,
  cborHeadSize,
  writeCborHead,
} from './cbor-head';
export { encodeHashTreeCbor, hashTreeCborSize, writeHashTreeCbor, type HashTreeNode } from './hash-tree-cbor';
export { clientKeyText } from './client-key-text';
export { equalBytes, hex } from './bytes';
export { isMainnetHost, MAINNET_API_DOMAINS } from './mainnet';
export {
  encodeGatewayHandshake,
  decodeGatewayHandshake,
  encodeCanisterToClientMessage,
  decodeCanisterToClientMessage,
  encodeClientRequest,
  decodeClientRequest,
  type GatewayHandshakeMessage,
  type CanisterToClientMessage,
  type ClientRequest,
  type DecodedClientRequest,
} from './gateway-messages';
export {
  MESSAGE_KEY_NONCE_DIGITS,
  formatMessageKey,
  formatMessageKeyNonce,
  parseMessageKey,
  messageKeyNonce,
  type MessageKey,
} from './message-key';
export { encodeUleb128, decodeUleb128 } from './leb128';
