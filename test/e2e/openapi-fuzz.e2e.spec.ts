import { ADMIN_KEY } from '../support/test-app';
import { useTestApp } from '../support/test-context';

/**
 * Reads the OpenAPI document and sends every operation missing auth, malformed JSON,
 * wrong types, bad ids, huge strings and out-of-range numbers. Whatever comes back, it is
 * never a 5xx. Endpoints added later are covered without touching this file.
 */
type Schema = {
  type?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  format?: string;
  example?: unknown;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
};
type Parameter = { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: Schema };
type Operation = { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> }; security?: unknown[] };
type Document = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

const HUGE = 'x'.repeat(1_000_000);
const BAD_PATH_VALUES = [
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  '%E0%A4%A',
  "1'; DROP TABLE qa_pairs; --",
  'é'.repeat(300),
  '9'.repeat(400),
];
const BAD_VALUES: unknown[] = [
  null,
  true,
  -1,
  0,
  1e308,
  -1e308,
  2 ** 53 + 1,
  1.5,
  '',
  ' ',
  '-1',
  'NaN',
  '\u0000',
  'x'.repeat(10_000),
  HUGE,
  [],
  [1, 'a', null],
  {},
  { $gt: '' },
];
const BAD_QUERY_VALUES = [
  '-1',
  '0',
  '1e309',
  '99999999999999999999',
  'abc',
  '',
  '%00',
  'true',
  'x'.repeat(5000),
  '2026-13-45',
  '9999-99-99T99:99:99Z',
];

describe('OpenAPI fuzz: no 5xx, ever', () => {
  const t = useTestApp({ env: { BODY_LIMIT_MB: '16' } });
  let document: Document;
  const failures: string[] = [];
  let requests = 0;

  beforeAll(async () => {
    document = (await t.app.request('GET', '/docs-json', { key: null })).body;
  });

  const resolve = (schema: Schema | undefined): Schema => {
    if (!schema) return {};
    if (schema.$ref) return resolve(document.components?.schemas?.[schema.$ref.split('/').pop()!]);
    const composite = schema.allOf ?? schema.oneOf ?? schema.anyOf;
    if (composite)
      return composite.reduce<Schema>((merged, part) => {
        const r = resolve(part);
        return {
          ...merged,
          ...r,
          properties: { ...merged.properties, ...r.properties },
          required: [...(merged.required ?? []), ...(r.required ?? [])],
        };
      }, {});
    return schema;
  };

  /** A plausible value for a schema, so mutations hit one field at a time. */
  const sample = (raw: Schema | undefined, depth = 0): unknown => {
    const schema = resolve(raw);
    if (schema.example !== undefined) return schema.example;
    if (schema.enum?.length) return schema.enum[0];
    switch (schema.type) {
      case 'string':
        return schema.format === 'uuid'
          ? '00000000-0000-4000-8000-000000000000'
          : schema.format === 'date-time'
            ? new Date().toISOString()
            : 'sample';
      case 'integer':
      case 'number':
        return 1;
      case 'boolean':
        return false;
      case 'array':
        return depth > 3 ? [] : [sample(schema.items, depth + 1)];
      default: {
        if (depth > 3 || !schema.properties) return {};
        return Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, sample(value, depth + 1)]));
      }
    }
  };

  async function send(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; key?: string | null; headers?: Record<string, string> },
  ) {
    requests++;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const key = options.key === undefined ? ADMIN_KEY : options.key;
    if (key) headers['x-api-key'] = key;
    let body = options.rawBody;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10_000);
    try {
      const response = await fetch(t.app.baseUrl + path, { method: method.toUpperCase(), headers, body, signal: controller.signal });
      // Streams (SSE) answer headers and then keep going: the status is what matters.
      if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) await response.text();
      else controller.abort();
      return response.status;
    } catch (error) {
      return controller.signal.aborted ? 0 : -1;
    } finally {
      clearTimeout(timer);
    }
  }

  const record = (what: string, status: number) => {
    if (status >= 500 || status === -1) failures.push(`${what} → ${status}`);
  };

  const concretePath = (template: string, params: Parameter[], override?: [string, string]) =>
    template.replace(/\{([^}]+)\}/g, (_, name: string) => {
      if (override && override[0] === name) return override[1];
      const param = params.find((p) => p.name === name);
      return encodeURIComponent(String(sample(param?.schema)));
    });

  it('covers every operation in the document', async () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.length).toBeGreaterThan(10);

    for (const { path, method, operation } of operations) {
      const params = operation.parameters ?? [];
      const pathParams = params.filter((p) => p.in === 'path');
      const queryParams = params.filter((p) => p.in === 'query');
      const url = concretePath(path, params);
      const bodySchema = resolve(operation.requestBody?.content?.['application/json']?.schema);
      const label = `${method.toUpperCase()} ${path}`;

      if (operation.security?.length) {
        const status = await send(method, url, { key: null, body: bodySchema.type ? sample(bodySchema) : undefined });
        if (status !== 401) failures.push(`${label} without a key → ${status}, expected 401`);
        record(`${label} with a wrong key`, await send(method, url, { key: 'wrong-key' }));
      }

      for (const param of pathParams) {
        for (const bad of BAD_PATH_VALUES)
          record(
            `${label} path ${param.name}=${bad.slice(0, 20)}`,
            await send(method, concretePath(path, params, [param.name, bad]), { body: bodySchema.type ? sample(bodySchema) : undefined }),
          );
      }
      for (const param of queryParams) {
        for (const bad of BAD_QUERY_VALUES)
          record(`${label} query ${param.name}=${bad.slice(0, 20)}`, await send(method, `${url}?${param.name}=${encodeURIComponent(bad)}`, {}));
      }
      record(`${label} unknown query`, await send(method, `${url}?unknownParam=1&limit=1&limit=2`, {}));

      if (['post', 'put', 'patch'].includes(method)) {
        record(`${label} malformed JSON`, await send(method, url, { rawBody: '{"a": [1, 2' }));
        record(`${label} body is an array`, await send(method, url, { rawBody: '[1,2,3]' }));
        record(`${label} body is a string`, await send(method, url, { rawBody: '"text"' }));
        record(`${label} text/plain`, await send(method, url, { rawBody: 'hello', headers: { 'content-type': 'text/plain' } }));
        record(`${label} deep nesting`, await send(method, url, { rawBody: '['.repeat(5000) + ']'.repeat(5000) }));
        const baseline = sample(bodySchema) as Record<string, unknown>;
        record(`${label} sample body`, await send(method, url, { body: baseline }));
        record(`${label} unknown field`, await send(method, url, { body: { ...baseline, unknownField: 1 } }));
        for (const field of Object.keys(bodySchema.properties ?? {})) {
          const { [field]: _, ...without } = baseline;
          record(`${label} missing ${field}`, await send(method, url, { body: without }));
          for (const bad of BAD_VALUES) {
            record(`${label} ${field}=${JSON.stringify(bad)?.slice(0, 30)}`, await send(method, url, { body: { ...baseline, [field]: bad } }));
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(500);
  }, 300_000);

  it('refuses a 30 MB body with 413, not by falling over', async () => {
    const status = await send('post', '/api/v1/qa-pairs/bulk', {
      rawBody: JSON.stringify({ items: [{ question: 'q', answer: 'a'.repeat(30_000_000) }] }),
    });
    expect(status).toBe(413);
  });
});
