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
export { rebalance as rebalanceAvl, removeMin as removeAvlMin, type BalancedNode, type HashedNode } from './avl-node';
export { rootHashOf as avlRootHash, witnessKeysOf as witnessAvlKeys, type NodeValues } from './avl-witness';
export { latin1 as bytesToLatin1, bytesOf as latin1ToBytes } from './latin1';
export { encodeHashTreeCbor, hashTreeCborSize, writeHashTreeCbor, encodeUleb128 } from '@icws/protocol';
export { lookupPath, type PathLookup } from './lookup';
export { compareBytes } from './bytes';
export { sha256 } from './sha256';
