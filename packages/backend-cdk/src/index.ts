export { CdkError, CDK_ERROR_CODES, type CdkErrorCode } from './errors';
export { IcwsError, type IcwsErrorKind } from '@icws/protocol';
export {
  defineCanister,
  update,
  query,
  isCanisterDefinition,
  printedLine,
  DEFER_TO_CURRENT_STATE,
  upgradeHooks,
  upgradeHooksOf,
  type UpgradeHooks,
  type CanisterContext,
  type CanisterDefinition,
  type CandidInit,
  type DefineCanisterOptions,
  type CanisterMethods,
  type MethodDefinition,
  type CandidValues,
  type CandidReturn,
  type TimerId,
} from './canister/define';
export { idlFactorySource, IDL_SOURCE_UNSUPPORTED } from './canister/idl-factory-source';
export { StableMap, type StableMapRange } from './stable/stable-map';
export { StableCell } from './stable/stable-cell';
export { StableVec } from './stable/stable-vec';
export { candidTypeText } from './stable/candid-type-text';
export { MAX_COLLECTION_NAME_LENGTH, type StableContext, type CandidValue } from './stable/stable-collection';
export { StagedStableStore, type StagedStableStoreOptions } from './stable/staged-stable-store';
export { MemoryStableBackend } from './stable/memory-stable-backend';
export {
  type StableStore,
  type StableBackend,
  type StableChanges,
  type StagedWrite,
  type StableEntry,
  type StableRange,
  type StableOpenResult,
} from './stable/stable-store';
export {
  FakeCanisterContext,
  FakeCanisterErrorCode,
  type FakeCanisterContextOptions,
  type FakeMessage,
} from './testing/fake-canister-context';
export { TestCanister, type TestCallOutcome, type TestCallOptions } from './testing/test-canister';
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
  type WsResumeEvent,
  type WsSettings,
  type WsClientInfo,
  type WsGatewayMetrics,
  type WsMetrics,
  type WsRecoveryMetrics,
} from './websocket/types';
export { WsErrorCode } from './websocket/errors';
export {
  CertifiedMap,
  CertifiedMapSnapshot,
  rebalanceAvl,
  removeAvlMin,
  avlRootHash,
  witnessAvlKeys,
  bytesToLatin1,
  latin1ToBytes,
  type BalancedNode,
  type HashedNode,
  type NodeValues,
  empty,
  fork,
  labeled,
  leaf,
  pruned,
  reconstruct,
  encodeHashTreeCbor,
  hashTreeCborSize,
  writeHashTreeCbor,
  encodeUleb128,
  lookupPath,
  compareBytes,
  sha256,
  type CertifiedEntry,
  type PathLookup,
  type HashTree,
  type EmptyHashTree,
  type ForkHashTree,
  type LabeledHashTree,
  type LeafHashTree,
  type PrunedHashTree,
} from './certification';
