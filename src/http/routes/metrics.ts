import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiClientsService } from '../../clients/api-clients-service.ts';
import type { ProxyMetrics } from '../../proxy/metrics.ts';
import { requireAppToken } from '../authenticate.ts';

/**
 * `GET /metrics` in the Prometheus text format. It needs a bearer token like the API: an app
 * token, or TOOLPROXY_METRICS_TOKEN when set (a scraper cannot run the client-credentials
 * exchange). Metrics carry connection names and counts, never identifiers or secrets.
 */
export function metricsRoutes(app: FastifyInstance, metrics: ProxyMetrics, auth: { clients: ApiClientsService; metricsToken?: string | undefined }): void {
  const appToken = requireAppToken(auth.clients);
  const expected = auth.metricsToken === undefined ? undefined : digest(auth.metricsToken);
  const authenticate = async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    // Compare digests so the check takes the same time whatever the guess (and its length).
    if (expected && typeof header === 'string' && /^bearer /i.test(header) && timingSafeEqual(digest(header.slice(7).trim()), expected)) return;
    await appToken(request);
  };

  app.get('/metrics', { schema: { hide: true }, onRequest: authenticate }, async (_request, reply) => {
    void reply.header('content-type', metrics.contentType).header('cache-control', 'no-store');
    return metrics.text();
  });
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
