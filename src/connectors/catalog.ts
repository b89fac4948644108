import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { ConnectorDefinition } from './definition-schema.ts';
import { validateDefinition } from './validate-definition.ts';

/** A built-in connector: a catalog file, validated like any custom definition. */
export interface CatalogEntry {
  /** The file name without `.yaml`; stable across versions, since connections refer to it. */
  identifier: string;
  definition: ConnectorDefinition;
}

export const CATALOG_IDENTIFIER = /^[a-z0-9][a-z0-9-]{0,47}$/;

/** Tools of a built-in connector live beside it, in `tools/<identifier>.yaml` (a list). */
export const CATALOG_TOOLS_DIR = 'tools';

/**
 * Reads every `<identifier>.yaml` in `dir` (the built-in catalog, DESIGN.md §2), in name order,
 * with its tools from `tools/<identifier>.yaml` when there is one (validated as the definition's
 * `tools`). The catalog ships with the code, so a file that does not validate is a bug in this
 * release: it fails the start with every problem named rather than leaving a connector
 * half-described.
 */
export function loadCatalog(dir: string): CatalogEntry[] {
  const files = fs.readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort();
  const failures: string[] = [];
  const entries: CatalogEntry[] = [];
  for (const file of files) {
    const identifier = file.slice(0, -'.yaml'.length);
    if (!CATALOG_IDENTIFIER.test(identifier)) {
      failures.push(`${file}: the name must match ${CATALOG_IDENTIFIER.source} (it becomes the identifier)`);
      continue;
    }
    let document: unknown;
    try {
      document = parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    } catch (error) {
      failures.push(`${file}: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const toolsFile = path.join(CATALOG_TOOLS_DIR, file);
    let source = file;
    if (fs.existsSync(path.join(dir, toolsFile)) && document !== null && typeof document === 'object') {
      try {
        (document as Record<string, unknown>)['tools'] = parse(fs.readFileSync(path.join(dir, toolsFile), 'utf8'));
        source = `${file} (+ ${toolsFile})`;
      } catch (error) {
        failures.push(`${toolsFile}: ${(error as Error).message.split('\n')[0]}`);
        continue;
      }
    }
    const result = validateDefinition(document, { identifier });
    const pattern = result.ok ? result.definition.auth_patterns[0] : undefined;
    if (pattern?.type === 'OAUTH' && (!pattern.oauth_config.authorize_uri || !pattern.oauth_config.token_uri)) {
      // The catalog loads at start, without network: its endpoints are written out, never discovered.
      failures.push(`${file}: /auth_patterns/0/oauth_config give authorize_uri and token_uri (built-in connectors are not discovered)`);
    } else if (result.ok) entries.push({ identifier, definition: result.definition });
    else failures.push(...result.problems.map((problem) => `${source}: ${problem.path || '/'} ${problem.message}`));
  }
  const known = new Set(files.map((file) => file.slice(0, -'.yaml'.length)));
  const toolsDir = path.join(dir, CATALOG_TOOLS_DIR);
  for (const file of fs.existsSync(toolsDir) ? fs.readdirSync(toolsDir).filter((name) => name.endsWith('.yaml')) : []) {
    if (!known.has(file.slice(0, -'.yaml'.length))) failures.push(`${CATALOG_TOOLS_DIR}/${file}: names no connector of the catalog`);
  }
  if (failures.length > 0) throw new Error(`the built-in connector catalog in ${dir} is invalid:\n  ${failures.join('\n  ')}`);
  return entries;
}
