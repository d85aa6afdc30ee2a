import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { isCI } from '../support/services.js';

/** Debian's Chromium: `.ci/run` installs it when missing. */
export const CHROMIUM = '/usr/bin/chromium';

export const chromiumPresent = existsSync(CHROMIUM);

/**
 * A browser suite's title, or with why it is skipped when Chromium is absent (the
 * skipped-suites reporter prints it). CI must not skip: there a missing Chromium fails.
 */
export function browserSuiteTitle(title: string): string {
  if (chromiumPresent) return title;
  const reason = `${CHROMIUM} is not installed: apt-get install chromium to run these tests`;
  if (isCI()) throw new Error(`CI must not skip: ${reason}`);
  return `${title} (skipped: ${reason})`;
}

/**
 * Headless Chromium with nothing running beside the page: no sandbox (containers), no GPU,
 * no QUIC, no first-run, background, component or sync traffic. Playwright gives each launch
 * a fresh user-data-dir in a temp folder and removes it on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether `bytes` start like a PNG file and hold more than its signature. */
export function isPng(bytes: Buffer): boolean {
  return bytes.length > PNG_SIGNATURE.length && bytes.subarray(0, 8).equals(PNG_SIGNATURE);
}
