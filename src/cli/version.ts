import fs from 'node:fs';

/**
 * The package version, from the root package.json (found from this file in the source tree and
 * in dist/), without loading the server's modules just to print `--version`.
 */
export function cliVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'toolproxy' && pkg.version) return pkg.version;
    } catch {
      // not here; try one level up
    }
  }
  return 'unknown';
}
