import { declaredFields } from '../auth/credential-fields.ts';
import { validateCredentials } from '../auth/index.ts';
import type { AuthPattern, ConnectorDefinition } from '../connectors/definition-schema.ts';
import { renderProblems, templateFields, validateTemplateValue } from '../connectors/template.ts';
import { type Problem, ToolproxyError } from '../errors.ts';

/** What a user or app submits for an account, split by how it is stored. */
export interface AccountValues {
  /** Credential fields: encrypted by the vault, never returned. */
  credentials: Record<string, string>;
  /** Non-secret fields that shape the upstream URL (`{{domain}}`, path params): stored as api_config. */
  apiConfig: Record<string, string>;
}

const MAX_VALUE_LENGTH = 4096;

/** Fields whose values are rendered into proxy_url; they must be plain text, never secrets. */
export function configFieldNames(definition: ConnectorDefinition, pattern: AuthPattern): Set<string> {
  const names = new Set(templateFields(definition.proxy_url));
  for (const field of declaredFields(pattern)) if (field.is_path_param) names.add(field.field_name);
  return names;
}

/**
 * Validates submitted values against the pattern's `fields` and splits them. Every problem is
 * reported at once (INVALID_FIELD, details.problems); nothing is stored when any exists.
 * Empty optional values are dropped so `auth_field_mutations.default` can apply.
 */
export function splitAccountValues(
  definition: ConnectorDefinition,
  pattern: AuthPattern,
  input: Record<string, unknown>,
): AccountValues {
  const problems: Problem[] = [];
  const declared = new Set(declaredFields(pattern).map((field) => field.field_name));
  const configNames = configFieldNames(definition, pattern);
  const credentials: Record<string, string> = {};
  const apiConfig: Record<string, string> = {};

  for (const [name, value] of Object.entries(input)) {
    if (!declared.has(name) && !configNames.has(name)) {
      problems.push({ path: `/${name}`, message: 'is not a field of this connector' });
      continue;
    }
    if (typeof value !== 'string') {
      problems.push({ path: `/${name}`, message: 'must be a string' });
      continue;
    }
    if (value.length > MAX_VALUE_LENGTH) {
      problems.push({ path: `/${name}`, message: `must be at most ${MAX_VALUE_LENGTH} characters` });
      continue;
    }
    if (value === '') continue;
    if (configNames.has(name)) {
      const problem = validateTemplateValue(name, value, definition.proxy_url);
      if (problem) problems.push({ path: `/${name}`, message: problem });
      else apiConfig[name] = value;
    } else {
      credentials[name] = value;
    }
  }

  for (const name of configNames) {
    if (apiConfig[name] === undefined && !problems.some((p) => p.path === `/${name}`)) {
      problems.push({ path: `/${name}`, message: 'is required' });
    }
  }
  // Each value passed its own pattern: now render proxy_url as a proxy call will (P3), once.
  if (problems.length === 0 && configNames.size > 0) problems.push(...renderProblems(definition.proxy_url, apiConfig));
  // The strategy checks every declared field (required, control characters, header-safe values).
  const strategyProblems = validateCredentials(pattern, { ...credentials, ...apiConfig })
    .filter((problem) => !problems.some((p) => p.path === problem.path));
  problems.push(...strategyProblems);

  if (problems.length > 0) throw new ToolproxyError('INVALID_FIELD', { details: { problems } });
  return { credentials, apiConfig };
}
