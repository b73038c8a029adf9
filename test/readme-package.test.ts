// The package a new user clones: the LICENSE package.json declares exists; the README names no file that is not
// in the repository; every README snippet with top-level await says it needs an ES module; the Install section
// says how to install before the package is published; Biome's configuration loads without a deprecation notice.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const readme = readFileSync(join(root, "README.md"), "utf8");

test("LICENSE is the MIT license package.json declares", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { license: string };
  assert.equal(pkg.license, "MIT");
  assert.match(
    readFileSync(join(root, "LICENSE"), "utf8"),
    /^MIT License\n[\s\S]*Permission is hereby granted/,
  );
});

test("every file the README links or names exists", () => {
  const names = new Set<string>();
  for (const m of readme.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)) names.add(m[1]!);
  // bare file names in prose or code spans, like `DESIGN.md`, SECURITY.md or examples/express.ts
  for (const m of readme.matchAll(/(?<![\w/.-])((?:[\w-]+\/)*[A-Z][A-Z_]+\.md)\b/g)) names.add(m[1]!);
  for (const m of readme.matchAll(
    /`((?:examples|test|bench|src|assembly)\/[\w./-]+\.(?:ts|mjs|js|json|svg))`/g,
  )) {
    names.add(m[1]!);
  }
  const missing = [...names].filter(
    (n) => !n.includes("{") && !n.includes("*") && !existsSync(join(root, n)),
  );
  assert.deepEqual(missing, [], "files named in README.md but not in the repository");
});

test("snippets with top-level await say they need an ES module", () => {
  for (const m of readme.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const code = m[1]!;
    if (!/^(?:(?:const|let) [^=]+= )?await /m.test(code)) continue;
    const first = code.split("\n")[0]!;
    assert.match(first, /^\/\/ .*(\.mts|ES module)/, `snippet needs an ES-module note: ${first}`);
  }
});

test("Install says how to install from a clone or a tarball until the package is published", () => {
  const install = readme.slice(
    readme.indexOf("## Install"),
    readme.indexOf("\n## ", readme.indexOf("## Install") + 3),
  );
  assert.match(install, /not published/);
  assert.match(install, /npm pack/);
  assert.match(install, /npm install \.\.\/engineio-wasm/);
});

test("Biome's configuration loads without a deprecation notice", () => {
  const biome = join(root, "node_modules", ".bin", "biome");
  const r = spawnSync(biome, ["check", "biome.json"], { cwd: root, encoding: "utf8", timeout: 60000 });
  assert.ok(r.error === undefined, String(r.error));
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /deprecated/i);
});
