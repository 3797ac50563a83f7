/**
 * `node -r ./test/support/register-swc.js file.ts`: compiles TypeScript on require with the
 * same SWC settings Jest uses, so child processes spawned by tests run the sources, not a build.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const options = JSON.parse(readFileSync(join(__dirname, '..', '..', 'swc.jest.json'), 'utf8'));

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, swcrc: false, filename });
  module._compile(code, filename);
};
