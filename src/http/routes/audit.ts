import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type AuditFormat, exportLines, parseExportRange } from '../../audit/audit-export.ts';
import type { AuditTrail } from '../../audit/audit-trail.ts';

const ExportQuery = Type.Object({
  from: Type.String({ description: 'ISO 8601 time or epoch ms (inclusive)' }),
  to: Type.String({ description: 'ISO 8601 time or epoch ms (exclusive)' }),
  format: Type.Optional(Type.String({ description: 'jsonl (default) or csv' })),
});

/**
 * The audit trail (docs/audit.md): verify the chain, and export a time range as JSON Lines or CSV,
 * streamed page by page (an export of millions of entries holds one page in memory).
 */
export function auditRoutes(app: FastifyInstance, audit: AuditTrail): void {
  app.get('/api/v1/audit/verify', { schema: { tags: ['audit'], summary: 'Walk the hash chain and name the first entry that does not verify' } }, async () => audit.verify());

  app.get<{ Querystring: { from: string; to: string; format?: string } }>(
    '/api/v1/audit/export',
    { schema: { tags: ['audit'], summary: 'Export audit entries of a time range (JSON Lines or CSV)', querystring: ExportQuery } },
    async (request, reply) => {
      const range = parseExportRange(request.query.from, request.query.to, request.query.format);
      await audit.flush().catch(() => undefined);
      const type: Record<AuditFormat, string> = { jsonl: 'application/jsonl; charset=utf-8', csv: 'text/csv; charset=utf-8' };
      reply.header('content-type', type[range.format]);
      reply.header('content-disposition', `attachment; filename="audit-${range.format === 'csv' ? 'export.csv' : 'export.jsonl'}"`);
      return reply.send(Readable.from(exportLines(audit.repository, range)));
    },
  );
}
