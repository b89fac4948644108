import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ToolproxyError } from '../../errors.ts';
import { toToolproxyError } from '../error-handler.ts';
import { type Brand, brandCss, logoSource } from '../pages/brand.ts';
import { escapeHtml, page } from '../pages/html.ts';
import { dashboardDistDir } from '../pages/package-files.ts';
import type { PageLook } from '../pages/theme.ts';

/**
 * The dashboard: static files built by `npm run build:dashboard` (Vite) from dashboard/, served
 * at /dashboard/. The files hold no secrets; every call they make needs an app token. Strict CSP:
 * our own scripts and styles only, no inline code, no framing, API calls to this origin only.
 */
export async function dashboardRoutes(app: FastifyInstance, options: { brand: Brand; look: PageLook; distDir?: string }): Promise<void> {
  const { brand, look } = options;
  const dist = options.distDir ?? dashboardDistDir();
  const logo = logoSource(brand);
  const headers: Record<string, string> = {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src 'self' data:${logo ? ` ${logo}` : ''}`,
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
  const hidden = { schema: { hide: true } };

  // Brand settings come from the config at start, so they are generated rather than built.
  const css = brandCss(brand);
  app.get('/dashboard/brand.css', hidden, async (_request, reply) =>
    reply.headers({ ...headers, 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }).send(css),
  );
  app.get('/dashboard/brand.json', hidden, async (_request, reply) =>
    reply.headers({ ...headers, 'cache-control': 'no-cache' }).send({ name: brand.name, logo_url: brand.logoUrl ?? null }),
  );

  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    const notBuilt = page(
      'Dashboard not built',
      `<h1>The dashboard is not built</h1>
<p class="lead">Build it once with <code>npm run build:dashboard</code> (or start with <code>npm start</code>, which builds it), then restart the server.</p>
<p class="hint">Looked for ${escapeHtml(path.join(dist, 'index.html'))}.</p>`,
      look,
    );
    const reply503 = async (_request: unknown, reply: FastifyReply) => reply.code(503).headers(look.headers).send(notBuilt);
    app.get('/dashboard', hidden, reply503);
    app.get('/dashboard/*', hidden, reply503);
    return;
  }

  // The static files' own refusals (an encoded `..`, `%00` or `\\` in the path: @fastify/send
  // answers 400 or 403) are the client's error: INVALID_URL, logged below error level.
  await app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode ?? 500;
      const mapped = status === 404 ? new ToolproxyError('ROUTE_NOT_FOUND') : status < 500 ? new ToolproxyError('INVALID_URL', { cause: error }) : toToolproxyError(error);
      if (mapped.statusCode >= 500) request.log.error({ err: error, code: mapped.code }, 'request failed');
      else request.log.info({ code: mapped.code }, 'dashboard path refused');
      return reply.code(mapped.statusCode).header('x-toolproxy-error', mapped.code).send(mapped.toBody());
    });
    await serveStatic(scope, dist, headers);
  });
}

async function serveStatic(scope: FastifyInstance, dist: string, headers: Record<string, string>): Promise<void> {
  await scope.register(fastifyStatic, {
    root: dist,
    prefix: '/dashboard',
    redirect: true,
    decorateReply: false,
    cacheControl: false,
    setHeaders(response, filePath) {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
      // Vite puts content hashes in asset names, so those never change; index.html always may.
      const immutable = filePath.includes(`${path.sep}assets${path.sep}`);
      response.setHeader('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
