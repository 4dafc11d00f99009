/** Containers: what the rest of the engine (and its public door) may use. */
export { detectContainer, containerMembers, looksLikeContainer, mayEndWithZip, ZIP_TAIL_BYTES, type ContainerFormat } from './container-format.js';
export { TreeScan, completeResult, joinPath, LIMIT_ALERT_NAMES, type ScanObject, type TreeOptions } from './tree-scan.js';
export { ScanBudget, heldBound, SLACK_BYTES } from './scan-budget.js';
export type { Member, ReadBounds } from './member.js';
