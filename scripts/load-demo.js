// Loads the demo FAQ (scripts/demo-faq.json) through the API, once: pairs already there
// (same question in the `demo` categories) are not created again.
const [baseUrl, apiKey] = process.argv.slice(2);
const pairs = require('./demo-faq.json');

async function call(method, path, body) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

async function main() {
  const existing = new Set();
  for (let offset = 0; ; offset += 500) {
    const page = await call('GET', `/api/v1/qa-pairs?limit=500&offset=${offset}`);
    page.items.forEach((item) => existing.add(item.question));
    if (offset + page.items.length >= page.total) break;
  }
  const missing = pairs.filter((pair) => !existing.has(pair.question));
  if (missing.length > 0) await call('POST', '/api/v1/qa-pairs/bulk', { items: missing });
  console.log(`demo FAQ: ${missing.length} pairs loaded, ${pairs.length - missing.length} already there`);
}

main().catch((error) => {
  console.error(`could not load the demo FAQ: ${error.message}`);
  process.exit(1);
});
