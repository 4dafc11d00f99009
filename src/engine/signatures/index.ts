/** The public door of engine/signatures: what the rest of Vigil may use from it. */
export { tokenLengths, type Token } from './hex-pattern.js';
export { listSourceFiles, loadSourceBuffer, loadSourceFiles } from './load-sources.js';
export { DIGEST_LENGTH, HASH_ALGOS, type BodyPattern, type BodySignature, type HashAlgo, type LogicalExpr, type LogicalSignature, type SignatureSink, type SourceInfo } from './model.js';
