/** The public door of cloud/audit: what the rest of Vigil may use from it. */
export { appendAudit, readAllAudit, readAuditHead, verifyStoredAudit, type AuditEntry } from './audit-log.js';
export { auditRoutes } from './audit-routes.js';
