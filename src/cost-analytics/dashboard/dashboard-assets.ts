import { Injectable } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface DashboardFile {
  body: Buffer;
  contentType: string;
}

const OWN_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};
const CHART_JS = 'chart.umd.min.js';

/**
 * The dashboard's static files, read once into memory. tsc does not copy them into dist/,
 * so they are looked up next to this module first (a run from source, or a build that
 * copied them) and then under src/cost-analytics/dashboard/ of the package root (a run
 * from dist/). Chart.js is served from node_modules: no CDN, works offline.
 */
@Injectable()
export class DashboardAssets {
  private files?: Map<string, DashboardFile>;

  get(name: string): DashboardFile | undefined {
    this.files ??= loadFiles();
    return this.files.get(name);
  }
}

function loadFiles(): Map<string, DashboardFile> {
  const directory = ownFilesDirectory();
  const files = new Map<string, DashboardFile>();
  for (const [name, contentType] of Object.entries(OWN_FILES)) {
    files.set(name, { body: readFileSync(join(directory, name)), contentType });
  }
  const chartJs = join(dirname(require.resolve('chart.js')), CHART_JS);
  files.set(CHART_JS, { body: readFileSync(chartJs), contentType: 'text/javascript; charset=utf-8' });
  return files;
}

function ownFilesDirectory(): string {
  if (existsSync(join(__dirname, 'index.html'))) return __dirname;
  for (let directory = __dirname; dirname(directory) !== directory; directory = dirname(directory)) {
    const candidate = join(directory, 'src', 'cost-analytics', 'dashboard');
    if (existsSync(join(directory, 'package.json')) && existsSync(join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`dashboard files not found next to ${__dirname} or under src/cost-analytics/dashboard of the package root`);
}
