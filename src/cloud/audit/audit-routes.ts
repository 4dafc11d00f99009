/** Reading, exporting and checking the audit log over HTTP. */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { seesAllTenants } from '../auth/index.js';
import { defineRoute, type AnyRoute } from '../http/index.js';
import { pageQuery, plainText } from '../http/index.js';
import type { CloudServices } from '../services.js';
import { formatAuditLine } from '../../protocol/index.js';
import { listAudit, readAllAudit, readAuditHead, verifyStoredAudit } from './audit-log.js';

export function auditRoutes(s: CloudServices): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/audit/records',
      tag: 'audit',
      summary: 'Audit records after a sequence number (customer admins see their tenant only)',
      roles: ['operator', 'auditor', 'customer-admin'],
      query: z.strictObject({ ...pageQuery, kind: plainText(100).min(1).optional() }),
      handler: async ({ query, principal }) => {
        const limit = Math.min(query.limit ?? 100, s.config.maxPageSize);
        const records = await listAudit(s.store, {
          afterSeq: query.after ?? 0,
          limit,
          tenant: seesAllTenants(principal) ? undefined : principal.tenantId,
          kind: query.kind,
        });
        const last = records[records.length - 1];
        return { records, next_after: records.length === limit && last ? last.seq : null };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/audit/head',
      tag: 'audit',
      summary: 'The last record: its sequence number and hash (compare with an export to detect truncation)',
      roles: ['operator', 'auditor'],
      handler: async () => readAuditHead(s.store),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/audit/export',
      tag: 'audit',
      summary: 'The whole log as JSON lines, for `vigil audit log verify`',
      roles: ['operator', 'auditor'],
      produces: 'application/x-ndjson',
      handler: async ({ reply }) => {
        const head = await readAuditHead(s.store);
        reply.header('x-vigil-audit-head', `${head.seq} ${head.hash}`);
        reply.type('application/x-ndjson');
        async function* lines() {
          for await (const record of readAllAudit(s.store)) {
            if (record.seq > head.seq) return; // a consistent cut at the head read above
            yield `${formatAuditLine(record)}\n`;
          }
        }
        return reply.send(Readable.from(lines()));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/audit/verify',
      tag: 'audit',
      summary: 'Re-check the stored chain from the first record to the head',
      roles: ['operator', 'auditor'],
      handler: async () => verifyStoredAudit(s.store),
    }),
  ];
}
