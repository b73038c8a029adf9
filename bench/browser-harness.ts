// Bundles bench/browser-entry.ts with esbuild for the browser and runs it in headless Chromium through
// playwright-core (Debian's /usr/bin/chromium; `npx playwright install` cannot download browsers here).
import { build } from "esbuild";
import { launchChromium } from "../test/chromium.js";

export { CHROMIUM_PATH, hasChromium } from "../test/chromium.js";

/** The codec + harness as one browser IIFE (Node built-ins are not available to it). */
export async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [new URL("browser-entry.ts", import.meta.url).pathname],
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    write: false,
    minify: false,
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}

/** Runs `fn` against a page that has loaded the bundle; always closes the browser. */
export async function withCodecPage<T>(
  fn: (evaluate: <R>(expr: string) => Promise<R>) => Promise<T>,
): Promise<T> {
  const code = await bundle();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.setContent("<!doctype html><title>codec</title>");
    await page.addScriptTag({ content: code });
    if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
    return await fn((expr) => page.evaluate(expr));
  } finally {
    await browser.close();
  }
}
