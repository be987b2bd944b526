export { IcwsError, type IcwsErrorKind } from './errors';
export {
  defineCanister,
  update,
  query,
  isCanisterDefinition,
  type CanisterContext,
  type CanisterDefinition,
  type CanisterMethods,
  type MethodDefinition,
  type CandidValues,
  type CandidReturn,
  type TimerId,
} from './canister/define';
export { RejectCode, type CallOutcome } from './canister/outcome';
export { SystemClock, TestClock, type Clock } from './replica/clock';
export { Replica, type ReplicaOptions, type ReplicaStats, type IngressCall } from './replica/replica';
export { startReplica, type StartReplicaOptions, type RunningReplica, type CanisterSpec } from './replica/launch';
export { loadCanisterModule, enableTypeScriptModules } from './replica/load-module';
export { canisterIdAt } from './replica/canister-ids';
export {
  createIcWebSocket,
  CanisterSendResultIdl,
  CanisterCloseResultIdl,
  type IcWebSocket,
  type IcWebSocketOptions,
  type IcWebSocketMethods,
} from './websocket/ic-websocket';
export {
  type WsResult,
  type WsCloseCause,
  type WsHandlers,
  type WsOpenEvent,
  type WsMessageEvent,
  type WsCloseEvent,
  type WsSettings,
  type WsClientInfo,
  type WsGatewayMetrics,
  type WsMetrics,
} from './websocket/types';
export { WsErrorCode } from './websocket/errors';
