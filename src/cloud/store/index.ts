/** The public door of cloud/store: what the rest of Vigil may use from it. */
export { SQLITE_FILE_NAME, openStore } from './open-store.js';
export { LOCK_BOOTSTRAP, StoreError, forUpdate, lockTransaction, type Queryable, type SqlValue, type Store } from './store.js';
export { isUniqueViolation } from './unique-violation.js';
