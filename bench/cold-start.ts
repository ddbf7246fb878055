// stdio cold start as a host sees it: spawn → initialize answered → tools/list answered.
//
// The server keeps a V8 code cache in the user's cache folder (src/launcher.ts); here that folder
// is a fresh temporary one, so the first start is a true first start (it writes the cache) and is
// reported on its own, and every start after it is the usual case a host sees. The SDK client's
// listTools() also compiles an ajv validator per output schema once the answer is in: that is
// the host's own work, so the target is "answered", and listTools() is reported beside it.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ListToolsResultSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  type BenchResult,
  CLI_PATH,
  median,
  note,
  REPO_DIR,
  removeQuietly,
  serverEnv,
  valueResult,
} from "./lib.js";
import type { BenchEnv } from "./setup.js";

const RUNS = 10;

interface Start {
  initializeMs: number;
  /** tools/list answered (and parsed as a ListToolsResult). */
  answeredMs: number;
  /** The same again through Client.listTools(), which also compiles the output-schema validators. */
  sdkListToolsMs: number;
  tools: number;
}

async function coldStartOnce(env: BenchEnv, extraEnv: Record<string, string>): Promise<Start> {
  const startedAt = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    // Credentials from the environment, as hosts launch it; the sandbox answers any startup call.
    args: [CLI_PATH, "--root", env.rootDir],
    env: { ...serverEnv(env.sandbox), ...extraEnv },
    stderr: "ignore",
    cwd: REPO_DIR,
  });
  const client = new Client({ name: "vagon-files-bench", version: "0.0.0" });
  try {
    await client.connect(transport);
    const initializeMs = performance.now() - startedAt;
    const { tools } = await client.request({ method: "tools/list", params: {} }, ListToolsResultSchema);
    const answeredMs = performance.now() - startedAt;
    const listStartedAt = performance.now();
    await client.listTools();
    const sdkListToolsMs = answeredMs + (performance.now() - listStartedAt);
    return { initializeMs, answeredMs, sdkListToolsMs, tools: tools.length };
  } finally {
    await client.close();
  }
}

async function starts(env: BenchEnv, extraEnv: Record<string, string>, count: number): Promise<Start[]> {
  const runs: Start[] = [];
  for (let run = 0; run < count; run++) runs.push(await coldStartOnce(env, extraEnv));
  if (runs.some((start) => start.tools === 0)) throw new Error("tools/list answered no tools");
  return runs;
}

export async function benchColdStart(env: BenchEnv): Promise<BenchResult[]> {
  const cacheHome = await mkdtemp(join(tmpdir(), "vagon-bench-cache-"));
  try {
    const cached = { XDG_CACHE_HOME: cacheHome };
    // The first start ever writes the code cache as it exits.
    const [first] = await starts(env, cached, 1);
    const runs = await starts(env, cached, RUNS);
    const uncached = await starts(env, { NODE_DISABLE_COMPILE_CACHE: "1" }, RUNS);
    const answered = runs.map((start) => start.answeredMs);
    note(
      `cold start runs (ms): ${answered.map((ms) => ms.toFixed(0)).join(", ")}; first start ${first!.answeredMs.toFixed(0)}; ` +
        `without the code cache ${median(uncached.map((start) => start.answeredMs)).toFixed(0)}; ` +
        `SDK listTools() ${median(runs.map((start) => start.sdkListToolsMs)).toFixed(0)}; ${runs[0]!.tools} tools`,
    );
    return [
      valueResult({
        name: `stdio cold start (median of ${RUNS})`,
        label: "spawn → tools/list answered",
        value: median(answered),
        unit: "ms",
        digits: 0,
        comparison: "<",
        target: 300,
        details: {
          runsMs: answered,
          initializeMedianMs: median(runs.map((start) => start.initializeMs)),
          sdkListToolsMedianMs: median(runs.map((start) => start.sdkListToolsMs)),
          firstStartMs: first!.answeredMs,
          withoutCodeCacheMedianMs: median(uncached.map((start) => start.answeredMs)),
          tools: runs[0]!.tools,
          credentials: "env (VAGON_API_URL/KEY/SECRET → the bench sandbox)",
        },
      }),
    ];
  } finally {
    await removeQuietly(cacheHome);
  }
}
