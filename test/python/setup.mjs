// Creates the python-engineio virtual environments the python interop tests run against, in the ignored folder
// .venv-py/: one per python-engineio version of the matrix (the version this project ports, and the latest), each
// with the python-socketio 5.x that pip resolves for it, aiohttp, uvicorn, werkzeug (the WSGI server with
// WebSocket support), requests and websocket-client. Idempotent: a marker file records the requirement list, so
// a second run only reads one file per environment. `.ci/run` calls it after apt; the tests call
// `ensurePythonEnvs()` and skip loudly (`!!!`) when pip cannot reach the registry.
// Usage: node test/python/setup.mjs
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// EIO_PY_VENV moves the environments elsewhere (e.g. to check the loud skip with an unreachable index).
export const VENV_ROOT = process.env.EIO_PY_VENV || join(root, ".venv-py");
/** The system python with Debian's python3-engineio 4.3.4 (the third, optional column). */
export const DEBIAN_PYTHON = "/usr/bin/python3";

const COMMON = ["aiohttp", "uvicorn", "werkzeug", "requests", "websocket-client"];
/** python-engineio versions of the matrix, with the python-socketio each one is paired with. */
export const MATRIX = [
  { version: "4.13.1", requirements: ["python-engineio==4.13.1", "python-socketio>=5.12,<6", ...COMMON] },
  { version: "4.15.1", requirements: ["python-engineio==4.15.1", "python-socketio>=5.12,<6", ...COMMON] },
];
// A failed install (registry unreachable) is remembered this long, so each test file does not retry pip.
const FAILURE_TTL_MS = 10 * 60 * 1000;
const LOCK_WAIT_MS = 5 * 60 * 1000;

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Holds a directory lock (test files run in parallel processes) while `fn` runs. */
function withLock(fn) {
  mkdirSync(VENV_ROOT, { recursive: true });
  const lock = join(VENV_ROOT, ".lock");
  const end = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock older than the wait bound belongs to a killed run
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_WAIT_MS)
          rmSync(lock, { recursive: true, force: true });
      } catch {}
      if (Date.now() > end) throw new Error(`timed out waiting for ${lock}`);
      sleepSync(200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function pythonFor(version) {
  return join(VENV_ROOT, `eio-${version}`, "bin", "python");
}

function setupOne({ version, requirements }, log) {
  const dir = join(VENV_ROOT, `eio-${version}`);
  const marker = join(dir, ".eio-ready");
  const failure = join(VENV_ROOT, `eio-${version}.failed`);
  const want = requirements.join("\n");
  const ready = () => existsSync(marker) && readFileSync(marker, "utf8") === want;
  if (ready()) return { version, python: pythonFor(version) };
  if (existsSync(failure) && Date.now() - statSync(failure).mtimeMs < FAILURE_TTL_MS)
    return { version, skip: readFileSync(failure, "utf8") };
  return withLock(() => {
    if (ready()) return { version, python: pythonFor(version) };
    log(`setting up ${dir} (${requirements.join(" ")})`);
    const base = existsSync(DEBIAN_PYTHON) ? DEBIAN_PYTHON : "python3";
    const steps = [
      [base, ["-m", "venv", dir]],
      [
        pythonFor(version),
        ["-m", "pip", "install", "-q", "--disable-pip-version-check", "--timeout", "30", ...requirements],
      ],
    ];
    for (const [cmd, args] of steps) {
      const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 4 * 60 * 1000 });
      if (r.status !== 0) {
        const why = `${cmd} ${args.slice(0, 3).join(" ")} failed: ${(r.stderr || r.error?.message || "").trim().split("\n").slice(-2).join(" ")}`;
        writeFileSync(failure, why);
        return { version, skip: why };
      }
    }
    rmSync(failure, { force: true });
    writeFileSync(marker, want);
    return { version, python: pythonFor(version) };
  });
}

/**
 * Makes sure every environment of the matrix exists; returns one entry per version with either `python` (the
 * interpreter to run) or `skip` (why not). Never throws for a registry that cannot be reached.
 */
export function ensurePythonEnvs(log = (line) => process.stderr.write(`${line}\n`)) {
  return MATRIX.map((m) => {
    try {
      return setupOne(m, log);
    } catch (e) {
      return { version: m.version, skip: String(e?.message ?? e) };
    }
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const envs = ensurePythonEnvs();
  for (const e of envs) {
    if (e.skip)
      console.log(`!!! python-engineio ${e.version}: ${e.skip} (its interop tests will be skipped)`);
    else {
      const r = spawnSync(
        e.python,
        ["-c", "from importlib.metadata import version as v; print('python-socketio', v('python-socketio'))"],
        { encoding: "utf8" },
      );
      console.log(`python-engineio ${e.version}: ${e.python} ${r.stdout.trim()}`);
    }
  }
}
