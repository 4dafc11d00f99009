/** `vigil update` (issue 6): TUF client, transparency-log checks, atomic install. See docs/update-client.md. */
export { UpdateClientError, type UpdateClientErrorCode } from './update-error.js';
export { DEFAULT_DATABASE_DIR, INSTALL_STATE_FILE, INSTALLED_IMAGE, PREVIOUS_IMAGE, UPDATE_STATE_DIR, defaultDatabaseDir, updatePaths, type UpdatePaths } from './update-paths.js';
export { ERROR_ANSWER_MAX_BYTES, REQUEST_TIMEOUT_MS, TARGET_TIMEOUT_MS, type DownloadProgress } from './repo-fetcher.js';
export { LOG_BUNDLE_MAX_BYTES, LOG_MAX_BUNDLES_SCANNED } from './log-check.js';
export { TRUSTED_ROOT_MAX_BYTES } from './tuf-refresh.js';
export { readInstallState, type InstallState, type KnownRelease } from './installed-database.js';
export { notifyDaemon, rollbackUpdate, runUpdate, type Notified, type RollbackOutcome, type UpdateOptions, type UpdateOutcome } from './update-client.js';
export { POLICY_NOTICE_FORMAT, POLICY_NOTICE_HEADER, POLICY_NOTICE_MAX_CHARS, POLICY_NOTICE_SIGNATURE_PREFIX, readNoticeHeader, readPolicyNotice, type NoticeTrust, type PolicyNotice } from './policy-notice.js';
