/**
 * `@icws/replica`: an Internet-Computer-like host for canisters written with `@icws/backend-cdk`.
 * It speaks the IC's HTTP interface, checks signed envelopes, executes update calls in rounds and
 * certifies each round with one BLS signature, so stock IC agents work against it unchanged.
 */
export { RejectCode, type CallOutcome } from './canister/outcome';
export { SystemClock, TestClock, isControllableClock, type Clock, type ControllableClock } from './clock';
export { AdminApiServer, type AdminApiOptions } from './admin-api';
export { parseCandidArgs } from './candid-text';
export { Replica, type ReplicaOptions, type ReplicaStats, type IngressCall } from './replica';
export { startReplica, type StartReplicaOptions, type RunningReplica, type CanisterSpec } from './launch';
export { loadCanisterModule, enableTypeScriptModules } from './load-module';
export { canisterIdAt } from './canister-ids';
export { startDevReplica, DEV_CANISTERS, type DevReplica, type DevReplicaOptions } from './dev-replica';
