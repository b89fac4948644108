import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Files that ship beside the code: the dashboard build and the shared stylesheet. Found from
 * the package root, which is the same whether we run from src/ (tsx) or dist/src/ (npm start).
 */
export function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from, i = 0; i < 8; i++, dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'toolproxy') return dir;
  }
  throw new Error(`toolproxy package root not found above ${from}`);
}

/** Where `npm run build:dashboard` writes the dashboard. */
export function dashboardDistDir(): string {
  return path.join(packageRoot(), 'dashboard', 'dist');
}

let themeCache: string | undefined;

/** The stylesheet the dashboard and the hosted pages share (dashboard/src/styles/theme.css). */
export function themeStylesheet(): string {
  themeCache ??= fs.readFileSync(path.join(packageRoot(), 'dashboard', 'src', 'styles', 'theme.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\n\s*\n/g, '\n');
  return themeCache;
}
