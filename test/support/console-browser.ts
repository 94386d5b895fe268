/**
 * The console in a real browser for the end-to-end tests: Debian's Chromium driven by
 * playwright-core, a context signed in through the sign-in form with an operator's API key,
 * CSP violations and script errors collected, screenshots saved. Shared by the console's
 * browser tests.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { API_KEYS, REPO_ROOT } from './stack';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** Screenshots of every run; committed copies under docs/console/ when INTERLOCK_UPDATE_SCREENSHOTS=1. */
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'console');
const DOCS_SHOTS = join(REPO_ROOT, 'docs', 'console');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
}

/**
 * Saves the viewport (or the whole page, `fullPage`) as `<name>.png`, and into docs/console/
 * when asked to update them.
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? false });
  if (process.env['INTERLOCK_UPDATE_SCREENSHOTS'] === '1') {
    mkdirSync(DOCS_SHOTS, { recursive: true });
    copyFileSync(path, join(DOCS_SHOTS, `${name}.png`));
  }
}

/**
 * A browser context signed in through the sign-in form with the operator's API key, on the
 * incidents queue. CSP violations and uncaught script errors of its pages go to `problems`.
 */
export async function signedInContext(
  browser: Browser,
  apiUrl: string,
  operator: keyof typeof API_KEYS,
  problems: string[],
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(`${apiUrl}/console/sign-in`);
  await page.fill('#apiKey', API_KEYS[operator]);
  await page.click('button[type=submit]');
  await page.waitForURL(`${apiUrl}/console/incidents`);
  return { context, page };
}
