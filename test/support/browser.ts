import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Chromium for the admin panel's browser test, found or brought: CHROMIUM_PATH when set (a system
 * Chromium, say), otherwise the Chromium shipped inside the @sparticuz/chromium package (a dev
 * dependency, unpacked to the temp folder on first use), so `npm ci && npm test` needs nothing
 * installed beforehand. Playwright's own browser download is not used: it fetches from outside npm.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumPath(),
    headless: true,
    // Without the background-networking flags Chromium keeps trying hosts a closed network refuses.
    args: [
      '--no-sandbox',
      '--no-zygote',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

async function chromiumPath(): Promise<string> {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH names ${configured}, which does not exist`);
    return configured;
  }
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}
