/** Containers: what the rest of the engine (and its public door) may use. */
export { CONTAINER_READERS, detectContainer, findContainerReader, looksLikeContainer, type ContainerFormat } from './registry.js';
export type { ContainerReader, ReadOptions } from './container-reader.js';
export { mayEndWithZip, ZIP_TAIL_BYTES } from './zip.js';
export { TreeScan, completeResult, joinPath, LIMIT_ALERT_NAMES, type ScanObject, type TreeOptions } from './tree-scan.js';
export { ScanBudget, heldBound, SLACK_BYTES } from './scan-budget.js';
export type { Member, ReadBounds } from './member.js';
