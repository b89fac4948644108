import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { loadCatalog } from '../../src/connectors/catalog.ts';
import { renderProxyUrl, templateFields } from '../../src/connectors/template.ts';
import { joinUpstreamUrl, parseProxyBase } from '../../src/proxy/url-join.ts';
import { createToolAjv } from '../../src/tools/json-schema-ajv.ts';
import { renderToolRequest } from '../../src/tools/render-request.ts';
import { toolPrefix } from '../../src/tools/tool-context.ts';
import { sampleInput } from './sample-input.ts';

const SHIPPED = fileURLToPath(new URL('../../catalog/', import.meta.url));
const entries = loadCatalog(SHIPPED);
const withTools = entries.filter((entry) => (entry.definition.tools ?? []).length > 0);
const all = withTools.flatMap((entry) => (entry.definition.tools ?? []).map((tool) => ({ entry, tool })));
/** Property names every model API accepts (Anthropic's is the strictest: ^[a-zA-Z0-9_.-]{1,64}$). */
const MODEL_SAFE_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

describe('the built-in tools (catalog/tools/*.yaml)', () => {
  test('at least 80 tools over at least 12 connectors, names unique and prefixed by their connector', () => {
    assert.ok(all.length >= 80, `${all.length} tools`);
    assert.ok(withTools.length >= 12, `${withTools.length} connectors`);
    for (const identifier of ['github', 'slack', 'gmail', 'google-calendar', 'notion', 'linear', 'atlassian', 'hubspot', 'salesforce', 'asana', 'google-drive', 'microsoft-graph', 'zendesk', 'stripe']) {
      assert.ok(withTools.some((entry) => entry.identifier === identifier), `${identifier} has tools`);
    }
    const names = new Set<string>();
    for (const { entry, tool } of all) {
      assert.ok(!names.has(tool.name), `${tool.name} repeats`);
      names.add(tool.name);
      assert.ok(tool.name.startsWith(`${toolPrefix(entry.identifier)}_`), tool.name);
    }
  });

  test('every tool is described for a model, with names every model API accepts', () => {
    for (const { tool } of all) {
      assert.ok(tool.description.length >= 30 && tool.description.length <= 1024, `${tool.name}: description of ${tool.description.length} characters`);
      assert.ok(tool.display_name.length >= 5, tool.name);
      for (const property of Object.keys((tool.input_schema['properties'] as object | undefined) ?? {})) {
        assert.match(property, MODEL_SAFE_NAME, `${tool.name}: input ${property}`);
      }
      if (tool.request.method === 'GET') assert.equal(tool.annotations?.read_only_hint, true, `${tool.name} reads only: say so`);
    }
  });

  test('every input schema compiles, and a sample input built from it is valid, renders, and stays under proxy_url', () => {
    const ajv = createToolAjv();
    let rendered = 0;
    for (const { entry, tool } of all) {
      const validate = ajv.compile(tool.input_schema);
      const input = sampleInput(tool.input_schema);
      const candidate = validate(input) ? input : sampleInput(tool.input_schema, { optional: false });
      assert.ok(validate(candidate), `${tool.name}: sample ${JSON.stringify(candidate)} is invalid: ${JSON.stringify(validate.errors)}`);
      const request = renderToolRequest(tool, candidate);
      const values = Object.fromEntries(templateFields(entry.definition.proxy_url).map((field) => [field, 'acme']));
      const base = parseProxyBase(renderProxyUrl(entry.definition.proxy_url, values));
      const url = new URL(joinUpstreamUrl(base, request.pathAndQuery));
      assert.equal(url.origin, base.origin, tool.name);
      assert.ok(url.pathname.startsWith(`${base.basePath}/`), `${tool.name}: ${url.pathname}`);
      if (request.body !== null) assert.ok(request.method !== 'GET' && request.contentType !== null, tool.name);
      rendered += 1;
    }
    assert.equal(rendered, all.length);
  });

  test('each mapped input is used by the template, and each required input is mapped', () => {
    for (const { tool } of all) {
      const mapped = new Set<string>();
      const { request } = tool;
      for (const match of request.path.matchAll(/\{([^}]+)\}/g)) mapped.add(match[1]!);
      for (const mapping of [...Object.values(request.query ?? {}), ...Object.values(request.headers ?? {}), ...Object.values(request.body?.properties ?? {})]) {
        if (mapping.from !== undefined) mapped.add(mapping.from);
      }
      if (request.body?.from !== undefined) mapped.add(request.body.from);
      const properties = Object.keys((tool.input_schema['properties'] as object | undefined) ?? {});
      assert.deepEqual(properties.filter((name) => !mapped.has(name)), [], `${tool.name}: inputs that go nowhere`);
    }
  });
});
