/** The engine's public door: everything other parts of Vigil (and applications) may use. */
export { createScanner, Scanner, type ScannerOptions, type ScanOptions } from './scanner.js';
export { DEFAULT_LIMITS, DEFAULT_ALERTS, type ScanLimits, type ScanAlerts } from './scan-limits.js';
export type { Finding, ScanResult, LimitName, LimitHit, ContainerIssue, ContainerStats } from './result.js';
export { detectContainer, type ContainerFormat } from './containers/index.js';
export { heldBound, LIMIT_ALERT_NAMES } from './containers/index.js';
export { EngineError, formatProblem, isWarning, type DatabaseProblem, type DatabaseProblemCode, type EngineErrorCode } from './errors.js';
export { Database, type DatabaseInfo } from './database.js';
export { openDatabase, compileSources, readImage, defaultCacheDir, IMAGE_EXTENSION, type OpenedDatabase } from './database-loader.js';
export { FILE_TYPE_NAMES, detectFileType } from './filetype.js';
export { BUILTIN_SOURCES } from './builtin-database.js';
export { ScanPool, defaultWorkerCount, type PoolTaskResult } from './pool/index.js';
export { DatabaseBuilder, type BuilderOptions } from './compile/index.js';
export { loadSourceFiles, listSourceFiles } from './signatures/index.js';
/** Image deltas between compiled images, for the publisher of updates (the format and its reader are the protocol's). */
export { createImageDelta, DELTA_BLOCK_BYTES, type ImageDeltaOptions } from './compile/index.js';
export { DELTA_MAX_INDEXED_BLOCKS } from './compile/index.js';
