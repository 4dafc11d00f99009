/** The clamd-compatible daemon's public door (used by `vigil daemon`). */
export { ClamdDaemon, SHUTDOWN_GRACE_MS, type DaemonStartOptions, type ListenAddress } from './clamd-daemon.js';
export { readClamdConfig, parseClamdConfig, SUPPORTED_OPTIONS, UNSUPPORTED_OPTIONS, type ClamdConfig, type OptionValue } from './clamd-config.js';
export { defaultSettings, settingsFromClamdConfig, DEFAULT_TCP_ADDRESS, DEFAULT_TCP_PORT, type DaemonSettings } from './daemon-config.js';
export { DaemonError, formatConfigProblem, type ConfigProblem, type DaemonErrorCode } from './daemon-error.js';
export { DaemonLog, type DaemonLogOptions } from './daemon-log.js';
export { COMMAND_MAX_BYTES, frameCommand, parseCommand } from './clamd-command.js';
export { REPLY } from './clamd-reply.js';
