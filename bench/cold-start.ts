// stdio cold start as a host sees it: spawn → initialize answered → tools/list answered.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type BenchResult, CLI_PATH, median, note, REPO_DIR, serverEnv, valueResult } from "./lib.js";
import type { BenchEnv } from "./setup.js";

const RUNS = 10;

async function coldStartOnce(
  env: BenchEnv,
): Promise<{ totalMs: number; initializeMs: number; tools: number }> {
  const startedAt = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    // Credentials from the environment, as hosts launch it; the sandbox answers any startup call.
    args: [CLI_PATH, "--root", env.rootDir],
    env: serverEnv(env.sandbox),
    stderr: "ignore",
    cwd: REPO_DIR,
  });
  const client = new Client({ name: "vagon-files-bench", version: "0.0.0" });
  try {
    await client.connect(transport);
    const initializeMs = performance.now() - startedAt;
    const { tools } = await client.listTools();
    const totalMs = performance.now() - startedAt;
    return { totalMs, initializeMs, tools: tools.length };
  } finally {
    await client.close();
  }
}

export async function benchColdStart(env: BenchEnv): Promise<BenchResult[]> {
  // One unrecorded start first: the build just wrote dist/, this only settles the disk cache.
  await coldStartOnce(env);
  const totals: number[] = [];
  const initializes: number[] = [];
  let tools = 0;
  for (let run = 0; run < RUNS; run++) {
    const once = await coldStartOnce(env);
    totals.push(once.totalMs);
    initializes.push(once.initializeMs);
    tools = once.tools;
  }
  if (tools === 0) throw new Error("tools/list answered no tools");
  note(`cold start runs (ms): ${totals.map((ms) => ms.toFixed(0)).join(", ")}; ${tools} tools`);
  return [
    valueResult({
      name: `stdio cold start (median of ${RUNS})`,
      label: "spawn → tools/list",
      value: median(totals),
      unit: "ms",
      digits: 0,
      comparison: "<",
      target: 300,
      details: {
        runsMs: totals,
        initializeMedianMs: median(initializes),
        tools,
        credentials: "env (VAGON_API_URL/KEY/SECRET → the bench sandbox)",
      },
    }),
  ];
}
