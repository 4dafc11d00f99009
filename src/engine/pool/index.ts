/** The public door of engine/pool: what the rest of Vigil may use from it. */
export { ScanPool, defaultWorkerCount, type PoolTaskResult } from './scan-pool.js';
