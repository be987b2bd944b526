export {
  empty,
  fork,
  labeled,
  leaf,
  pruned,
  reconstruct,
  type HashTree,
  type EmptyHashTree,
  type ForkHashTree,
  type LabeledHashTree,
  type LeafHashTree,
  type PrunedHashTree,
} from './hash-tree';
export { CertifiedMap, CertifiedMapSnapshot, type CertifiedEntry } from './certified-map';
export { rebalance as rebalanceAvl, removeMin as removeAvlMin, type BalancedNode } from './avl-node';
export { encodeHashTreeCbor, hashTreeCborSize, writeHashTreeCbor, encodeUleb128 } from '@icws/protocol';
export { lookupPath, type PathLookup } from './lookup';
export { compareBytes } from './bytes';
export { sha256 } from './sha256';
