import { Injectable } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

export interface ConsoleFile {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
/** The folders under web/ whose files are served (one level: `/console/pages/queue.js`). */
export const CONSOLE_FOLDERS = ['lib', 'pages'] as const;
const CHART_JS = 'chart.umd.min.js';

/**
 * The console's static files (src/console/web), read once into memory and keyed by their
 * path under web/ (`index.html`, `pages/queue.js`); only .html, .js and .css files are
 * served, nothing else a folder may hold. tsc does not copy them into dist/, so they are
 * looked up next to this module first (a run from source, or a build that copied them) and
 * then under src/console/web of the package root (a run from dist/). Chart.js comes from
 * node_modules: no CDN, works offline.
 */
@Injectable()
export class ConsoleAssets {
  private files?: Map<string, ConsoleFile>;

  get(path: string): ConsoleFile | undefined {
    this.files ??= loadFiles();
    return this.files.get(path);
  }
}

function loadFiles(): Map<string, ConsoleFile> {
  const root = webDirectory();
  const files = new Map<string, ConsoleFile>();
  for (const folder of ['', ...CONSOLE_FOLDERS]) {
    const directory = join(root, folder);
    if (!existsSync(directory)) continue;
    for (const name of readdirSync(directory)) {
      const contentType = CONTENT_TYPES[extname(name)];
      const path = join(directory, name);
      if (!contentType || !statSync(path).isFile()) continue;
      files.set(folder ? `${folder}/${name}` : name, { body: readFileSync(path), contentType });
    }
  }
  const chartJs = join(dirname(require.resolve('chart.js')), CHART_JS);
  files.set(CHART_JS, { body: readFileSync(chartJs), contentType: CONTENT_TYPES['.js'] });
  return files;
}

function webDirectory(): string {
  const beside = join(__dirname, 'web');
  if (existsSync(join(beside, 'index.html'))) return beside;
  for (let directory = __dirname; dirname(directory) !== directory; directory = dirname(directory)) {
    const candidate = join(directory, 'src', 'console', 'web');
    if (existsSync(join(directory, 'package.json')) && existsSync(join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`console files not found in ${beside} or under src/console/web of the package root`);
}
