// Headless Chromium for browser tests and the browser benchmark: Debian's /usr/bin/chromium driven by
// playwright-core (`npx playwright install` cannot download browsers on these machines).
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";

/** Where Debian's `apt-get install chromium` puts the browser (override with CHROMIUM_PATH). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags for a sandbox-less, offline, root-run headless Chromium (background networking is refused here). */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/** Whether a Chromium binary is present. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Launches Chromium; playwright-core is loaded lazily so a missing browser never breaks loading a test file. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], timeout: 30_000 });
}
