/** Signed signature updates (issue 6): the TUF repository, its transparency log, its routes. See docs/updates.md. */
export { UpdateRepository, LOCK_UPDATES, type PublishResult, type UpdateRepositoryOptions } from './update-repository.js';
export { KeyVault, UPDATE_KEYS_DIR, tufKey } from './key-vault.js';
export { rootLogInfo } from './tuf-metadata.js';
export { UpdateError, type UpdateErrorCode } from './update-error.js';
export { DEFAULT_UPDATE_CONFIG, TUF_ROLES, resolveUpdateConfig, type TufRole, type UpdateConfig } from './update-config.js';
export { exportRepository, readLogFile, readMetadataFile, readTargetFile, type ExportSummary, type RepositoryFile } from './repository-files.js';
export { listReleases, type Release } from './update-state.js';
export { compileRelease } from './compile-release.js';
export { createImageDelta, DELTA_BLOCK_BYTES } from '../../engine/index.js';
export { updateRoutes, MUTABLE_MAX_AGE_SECONDS, type UpdateRouteOptions } from './update-routes.js';
export { UPDATES_ENTITLEMENT, type UpdateAction } from './update-gate.js';
