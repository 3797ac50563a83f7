import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConsoleAssets } from '../../src/console/console-assets';

const WEB = join(__dirname, '..', '..', 'src', 'console', 'web');

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * The console's browser files: what the CSP and the escaping rule ask of them, checked on the
 * source (the e2e test, test/e2e/console.e2e.spec.ts, drives them in Chromium).
 */
describe('console files', () => {
  const files = filesUnder(WEB).map((path) => ({ path: relative(WEB, path).split('\\').join('/'), text: readFileSync(path, 'utf8') }));
  const scripts = files.filter((file) => file.path.endsWith('.js'));

  it('never parse data as HTML: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    const found = scripts.flatMap((file) =>
      [...file.text.matchAll(/\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(|new Function\(/g)].map(
        (match) => `${file.path}: ${match[0]}`,
      ),
    );
    expect(found).toEqual([]);
  });

  it('hold nothing inline and load nothing from elsewhere, so the strict CSP holds', () => {
    const html = files.find((file) => file.path === 'index.html')!.text;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=|https?:\/\//i);
    for (const file of files) expect([file.path, /https?:\/\/(?!www\.w3\.org)/.test(file.text)]).toEqual([file.path, false]);
  });

  it('import only modules the service serves (one folder level under web/)', () => {
    const served = new ConsoleAssets();
    for (const file of scripts) {
      for (const [, target] of file.text.matchAll(/^import [^;]*? from '([^']+)';/gm)) {
        const resolved = join('/', file.path, '..', target).slice(1);
        expect([file.path, target, served.get(resolved) !== undefined]).toEqual([file.path, target, true]);
      }
    }
    expect(served.get('chart.umd.min.js')?.contentType).toMatch(/^text\/javascript/);
    expect(served.get('../package.json')).toBeUndefined();
  });
});
