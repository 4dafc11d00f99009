/** The public door of agent/license: what the rest of Vigil may use from it. */
export { activateLicense, deactivateLicense, refreshLicense, type ActivateOutcome, type ActivateRequest, type DeactivateOutcome, type DeactivateRequest, type LicenseReceipt, type RefreshRequest } from './activation.js';
export { checkLicense, presentLicense, type ActivationSummary, type CheckLicenseOptions, type LicenseVerdict, type LicenseVerdictState } from './entitlement.js';
export { DEFAULT_MACHINE_ID_FILES, MACHINE_FINGERPRINT_PREFIX, MachineFingerprintError, defaultFallbackFile, machineFingerprint, type MachineFingerprint, type MachineFingerprintErrorCode, type MachineFingerprintOptions } from './fingerprint.js';
export { LICENSE_REQUEST_TIMEOUT_MS, LICENSE_RESPONSE_MAX_BYTES, LicenseClient, type ActivationAnswer, type DeactivationAnswer, type LicenseClientOptions, type RefreshAnswer, type VendorKeyAnswer } from './license-client.js';
export { LicenseError, type LicenseErrorCode, type ServerRefusal } from './license-error.js';
export { ACTIVATION_FILE, LICENSE_FILE, LICENSE_STATE_DIR, STATE_FILE_MODE, licenseStatePaths, readActivation, readLicenseFile, type ActivationRecord } from './license-state.js';
export { thisMachine } from './machine.js';
