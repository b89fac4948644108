/** Bounds of an OpenAPI import, checked before the work they bound (docs/tools.md#import). */

/** Document size, checked before parsing (GitHub's full description is 13 MB). */
export const OPENAPI_MAX_BYTES = 25 * 1024 * 1024;
/** Operations selected for import (GitHub's description has about 1 200). */
export const OPENAPI_MAX_OPERATIONS = 3000;
/** Fetching a document from a URL. */
export const OPENAPI_FETCH_TIMEOUT_MS = 30_000;
/** Output schemas are documentation: nested objects deeper than this are summarized as their type. */
export const OUTPUT_SCHEMA_DEPTH = 1;
/** Input schemas are exact; this only stops a pathological document. */
export const INPUT_SCHEMA_DEPTH = 24;
/** Schema nodes per converted schema, again against pathological documents. */
export const SCHEMA_NODE_BUDGET = 20_000;
/** Imported tool descriptions (OpenAI caps function descriptions at 1 024 characters). */
export const DESCRIPTION_MAX = 1024;
