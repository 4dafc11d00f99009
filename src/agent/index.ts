/** The agent's public door: what the CLI may use. Everything else in src/agent is private. */
export {
  DEFAULT_MACHINE_ID_FILES,
  MACHINE_FINGERPRINT_PREFIX,
  MachineFingerprintError,
  defaultFallbackFile,
  machineFingerprint,
  type MachineFingerprint,
  type MachineFingerprintErrorCode,
  type MachineFingerprintOptions,
} from './license/fingerprint.js';
export { AGENT_DIR_MODE, agentDirPath, ensureAgentDir } from './agent-dir.js';
export { LicenseError, type LicenseErrorCode, type ServerRefusal } from './license/license-error.js';
export { describeAction, type PolicyDecision } from './license/policy-decision.js';
export { LICENSE_REQUEST_TIMEOUT_MS, LICENSE_RESPONSE_MAX_BYTES, LicenseClient, parseRetryAfter } from './license/license-client.js';
export type { ActivationAnswer, DeactivationAnswer, LicenseClientOptions, RefreshAnswer, VendorKeyAnswer } from './license/license-client.js';
export { ACTIVATION_FILE, LICENSE_FILE, LICENSE_STATE_DIR, STATE_FILE_MODE, licenseStatePaths, readActivation, readLicenseFile, type ActivationRecord } from './license/license-state.js';
export { thisMachine } from './license/machine.js';
export { checkLicense, presentLicense, type ActivationSummary, type CheckLicenseOptions, type LicenseVerdict, type LicenseVerdictState } from './license/entitlement.js';
export { activateLicense, deactivateLicense, refreshLicense } from './license/activation.js';
export type { ActivateOutcome, ActivateRequest, DeactivateOutcome, DeactivateRequest, LicenseReceipt, RefreshRequest } from './license/activation.js';
