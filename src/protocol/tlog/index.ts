/**
 * The transparency log of signature releases (issue 6): RFC 9162 Merkle trees and proofs, C2SP
 * tlog-tiles, signed notes and checkpoints, an append-only log over a pluggable store, and the
 * consistency check an auditor runs, and the clock's cosignature that puts a time on checkpoints.
 * See docs/transparency-log.md.
 */
export { TlogError, type TlogErrorCode, type TlogErrorDetails } from './errors.js';
export {
  EMPTY_TREE_HASH,
  HASH_SIZE,
  RFC9162_LEAF_PREFIX,
  RFC9162_NODE_PREFIX,
  hashChildren,
  hashLeaf,
  hashRange,
  merkleTreeHash,
  rangeNodes,
  type NodeHashReader,
} from './merkle.js';
export { MerkleTree } from './merkle-tree.js';
export {
  consistencyProofRanges,
  createConsistencyProof,
  createInclusionProof,
  inclusionProofRanges,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
  type LeafRange,
} from './proofs.js';
export {
  TILE_HEIGHT,
  TILE_MAX_LEVEL,
  TILE_WIDTH,
  entryBundlePath,
  formatTileIndex,
  parseTilePath,
  tilePath,
  type ParsedTilePath,
  type TileCoordinate,
} from './tile-path.js';
export {
  checkTileLength,
  computeTile,
  consistencyProofFromTiles,
  createTileNodeReader,
  inclusionProofFromTiles,
  leafHashFromTiles,
  levelWidth,
  rootFromTiles,
  tileForNode,
  tileHash,
  tileWidth,
  tilesBetween,
  tilesForRanges,
  tilesForTreeSize,
  type TileFetcher,
} from './tiles.js';
export { ENTRY_MAX_BYTES, decodeEntryBundle, encodeEntryBundle } from './entry-bundle.js';
export {
  NOTE_SIG_ED25519,
  createNoteSigner,
  ed25519Verifier,
  formatKeyId,
  formatSignerKey,
  formatVerifierKey,
  generateNoteKeys,
  isValidKeyName,
  noteKeyId,
  parseSignerKey,
  parseVerifierKey,
  type NoteSigner,
  type NoteVerifier,
} from './note-keys.js';
export { NOTE_MAX_BYTES, NOTE_MAX_SIGNATURES, openNote, parseNote, signNote, type NoteSignature, type OpenedNote, type ParsedNote } from './note.js';
export {
  formatCheckpointText,
  openCheckpoint,
  parseCheckpointText,
  signCheckpoint,
  type Checkpoint,
  type CheckpointOpenOptions,
  type CheckpointParseOptions,
  type SignedCheckpoint,
} from './checkpoint.js';
export { CHECKPOINT_PATH, MemoryTlogStorage, TLOG_MAX_PENDING_ENTRIES, TransparencyLog, type TlogStorage, type TransparencyLogOptions } from './log.js';
export { verifyConsistencyChain } from './consistency-chain.js';
export {
  COSIGNATURE_BYTES,
  COSIGNATURE_ED25519,
  addClockCosignature,
  checkpointTime,
  clockKeyName,
  findClockTime,
  formatClockVerifierKey,
  parseClockVerifierKey,
  type ClockVerifier,
} from './clock-cosignature.js';
