import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Where the console tests save their screenshots (gitignored). */
export const CONSOLE_ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'console');

/** Debian's Chromium, headless, without the background traffic a first run makes; the artefact folder exists. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(CONSOLE_ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
