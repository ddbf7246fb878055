#!/usr/bin/env node
// The installed command (dist/cli.js). It runs dist/server.cjs, the whole server bundled into one
// file, through a V8 code cache: hosts start the server cold for every session, and compiling
// the bundle is a large part of that start. The first run saves the compiled code in the user's
// cache folder as it exits; later runs load it instead of compiling (~60 ms of ~300 on a 2-core
// machine). The cache is named by a hash of the bundle, so a new build never runs stale code;
// any trouble with it just means compiling as usual. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import { isAscii } from "node:buffer";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import path from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { Script } from "node:vm";

const CACHE_PREFIX = "server-";

function cacheFolder(): string | null {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return null;
  const base =
    process.platform === "win32"
      ? process.env.LOCALAPPDATA
      : process.env.XDG_CACHE_HOME || (homedir() ? path.join(homedir(), ".cache") : undefined);
  return base ? path.join(base, "vagon-files-mcp") : null;
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes the cache atomically and drops the ones older builds left. Never throws. */
function writeCache(folder: string, file: string, data: Buffer): void {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, data, { mode: 0o600 });
    renameSync(temp, file);
    for (const name of readdirSync(folder)) {
      if (name.startsWith(CACHE_PREFIX) && path.join(folder, name) !== file) {
        rmSync(path.join(folder, name), { force: true });
      }
    }
  } catch {
    // A read-only or full disk only costs the next start its compile.
  }
}

/**
 * Memory policy of the long-lived server, set here so that every way of launching it (a host's
 * command, the bundle, `npm start`) runs with it; V8 takes these after start-up. Measured with
 * bench/housekeeping.ts (find_files over 50,000 entries) and bench/folder-upload.ts:
 * - undici parses HTTP in WebAssembly, which V8 recompiles with TurboFan after the first
 *   requests: a ~30 MB spike of compiler memory, for a parser that does little per body chunk.
 *   Liftoff, the baseline compiler, only.
 * - The nursery grows to 16 MB semi-spaces (33 MB) under a walk's churn; V8 takes a cap only on
 *   its command line, but takes a growth factor any time: past 4 MB semi-spaces, it stops growing.
 * The old generation's growth is the server's own (src/heap-growth.ts): it follows what each
 * full collection kept, and whether a walk runs.
 */
function setMemoryPolicy(): () => void {
  setFlagsFromString("--liftoff-only");
  const observer = new PerformanceObserver(() => {
    const nursery = getHeapSpaceStatistics().find((space) => space.space_name === "new_space");
    if (nursery && nursery.space_size >= NURSERY_CAP_BYTES) {
      setFlagsFromString("--semi-space-growth-factor=1");
      observer.disconnect();
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  // V8 stamps a code cache with its flags and refuses one made under others: the cache is made
  // under the flags the next start will compile with (V8's default growth factor, 2; and the
  // default old-generation growth, which the server sets as it runs: src/heap-growth.ts).
  return () => {
    setFlagsFromString("--semi-space-growth-factor=2");
    setFlagsFromString("--heap-growing-percent=0");
  };
}

/** Both semi-spaces of the nursery: 2 × 4 MB. */
const NURSERY_CAP_BYTES = 8 * 1024 * 1024;

/** Compiles the bundle (through the cache); nothing but the script outlives the call. */
function compile(serverPath: string, serving: boolean, beforeCacheWrite: () => void): Script {
  const bytes = readFileSync(serverPath);
  // The published bundle is ASCII (esbuild escapes the rest), which latin1 decodes exactly and
  // faster than UTF-8; an unminified build keeps comments, and those may not be.
  const source = isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
  const folder = cacheFolder();
  const cacheFile = folder
    ? path.join(folder, `${CACHE_PREFIX}${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}.v8`)
    : null;
  const cachedData = cacheFile ? readCache(cacheFile) : undefined;
  // The same wrapper Node gives every CommonJS module, so the bundle runs as it would with require().
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: serverPath,
    cachedData,
  });
  // Made at exit, the cache holds every function the run compiled, not just the top level; so a
  // run that only prints help or the version, and would leave a cache missing the server, writes none.
  if (folder && cacheFile && serving && (cachedData === undefined || script.cachedDataRejected)) {
    process.once("exit", () => {
      beforeCacheWrite();
      writeCache(folder, cacheFile, script.createCachedData());
    });
  }
  return script;
}

const serverPath = fileURLToPath(new URL("./server.cjs", import.meta.url));
const serving = !process.argv.slice(2).some((arg) => ["--help", "-h", "--version", "-v"].includes(arg));
const restoreFlags = serving ? setMemoryPolicy() : () => {};
const script = compile(serverPath, serving, restoreFlags);
const module = { exports: {} };
script.runInThisContext()(
  module.exports,
  createRequire(serverPath),
  module,
  serverPath,
  path.dirname(serverPath),
);
