/** The scan job's door within the agent (re-exported by src/agent/index.ts). */
export { defaultScanSettings, alertsOf, limitsOf, pathFilterOf, scannerOptionsOf, type ScanSettings, type SettableLimits, type SymlinkLevel } from './scan-settings.js';
export { SCAN_SETTING_TABLE, cliEntries, clamdScanDirectives, isUnsupported, type CliFront, type CommandName, type SettingEntry, type SettingValue, type Unsupported } from './scan-setting-table.js';
export { scanSettingsFromFlags, type InvalidFlag } from './settings-from-flags.js';
export { scanSettingsFromLibraryOptions, type LibraryScanOptions } from './settings-from-library.js';
export { POOL_MIN_FILE_SIZE, scansInPool, wantsPool } from './pool-choice.js';
export { walk, type WalkEvent, type WalkOptions, type WalkSettings } from './file-walker.js';
export { IN_FLIGHT_PER_WORKER, ScanJob, type ScanJobEvent, type ScanJobOptions } from './scan-job.js';
export { readCountSetting, zeroNotAllowed } from './setting-values.js';
