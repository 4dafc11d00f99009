/** The watcher's door within the agent (re-exported by src/agent/index.ts). */
export { NO_FILTER, skipsFile, skipsFolder, type PathFilter } from './path-filter.js';
export { TreeWatcher, WATCH_DEBOUNCE_MS, WATCH_MAX_DELAY_MS, WATCH_START_SLACK_MS, type TreeWatcherOptions } from './tree-watcher.js';
export { WatchSession, WATCH_SCAN_CONCURRENCY, type WatchSessionOptions, type WatchStop } from './watch-session.js';
