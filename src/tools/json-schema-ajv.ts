import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

/**
 * The Ajv that checks and compiles tool schemas (JSON Schema draft 2020-12, with the common
 * formats). Not strict: schemas imported from OpenAPI carry annotations Ajv does not know
 * (`x-…`, `externalDocs`), and an unknown `format` is ignored rather than refused. Compiled
 * schemas are not registered by id (`addUsedSchema: false`): tools compile side by side.
 */
export function createToolAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false, addUsedSchema: false });
  addFormats(ajv);
  return ajv;
}

/** One shared instance for meta-validation (validateSchema keeps no state between calls). */
let metaAjv: Ajv2020 | undefined;
export function metaValidator(): Ajv2020 {
  return (metaAjv ??= createToolAjv());
}
