/** The public door of engine/match: what the rest of Vigil may use from it. */
export { BodyMatcher } from './body-matcher.js';
export { findHashes, hasSize } from './hash-lookup.js';
export { evaluateLogical } from './logical-eval.js';
export { CLASS_B, CLASS_L, CLASS_W, OP_AFTER, OP_ALTS, OP_BEFORE, OP_BEHIND, OP_CLASS, OP_END, OP_GAP, OP_LIT, OP_MASK, OP_SET, OP_SKIP } from './program.js';
export { TextNormalizer } from './text-normalizer.js';
