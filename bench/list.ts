// list_files over a 5,000-entry folder against the walk an agent does without it: page after
// page of the API's default 20, one request at a time. Both sides are measured warm: the server
// is a long-lived process (its first listings pay for JIT compilation), so three untimed listings
// come first, and each baseline process walks 50 pages untimed before its timed walk.

import { tableRows } from "../src/views/table.js";
import { type BenchResult, callTool, note, ratioResult, runRaw, type ToolCall } from "./lib.js";
import type { BenchEnv } from "./setup.js";

/** The last full listing, for the context bench to weigh. */
export let lastFullListing: ToolCall | null = null;

const WARMUP_CALLS = 3;
const API_LATENCY_MS = 20;

export async function benchList(env: BenchEnv): Promise<BenchResult[]> {
  const count = env.options.listEntries;
  const folderId = await env.listFolder();
  const server = await env.server();
  const walkMs: number[] = [];
  const toolMs: number[] = [];
  let pages = 0;
  for (let warmup = 0; warmup < WARMUP_CALLS; warmup++) {
    await callTool(server.client, "list_files", { parent_id: folderId, limit: count });
  }

  const walkOnce = async () => {
    const walk = await runRaw({
      kind: "walk",
      apiUrl: env.sandbox.apiUrl,
      apiKey: env.sandbox.apiKey,
      apiSecret: env.sandbox.apiSecret,
      parentId: folderId,
      perPage: 20,
      warmupPages: 50,
    });
    if (walk.entries !== count) throw new Error(`the walk saw ${walk.entries} entries, expected ${count}`);
    pages = walk.pages;
    return walk.elapsedMs;
  };
  const listOnce = async () => {
    const call = await callTool(server.client, "list_files", { parent_id: folderId, limit: count });
    const listed = tableRows(call.structured.entries).length;
    if (listed !== count) throw new Error(`list_files returned ${listed} entries, expected ${count}`);
    lastFullListing = call;
    return call.elapsedMs;
  };

  for (let round = 0; round < env.options.rounds; round++) {
    const order = round % 2 === 0 ? ["walk", "tool"] : ["tool", "walk"];
    for (const which of order) {
      if (which === "walk") {
        walkMs.push(await walkOnce());
        note(`list walk #${walkMs.length}: ${walkMs.at(-1)!.toFixed(0)} ms over ${pages} pages`);
      } else {
        toolMs.push(await listOnce());
        note(`list tool #${toolMs.length}: ${toolMs.at(-1)!.toFixed(0)} ms`);
      }
    }
  }

  // Loopback makes both sides CPU-bound on a shared 2-core machine. For scale, the same pair once
  // more with every listing answer 20 ms late, a short internet round trip to a real API.
  env.sandbox.setFaults({ seed: 1, routes: { "list-files": { latency: 1, latencyMs: API_LATENCY_MS } } });
  let withLatency: { toolMs: number; walkMs: number };
  try {
    withLatency = { toolMs: await listOnce(), walkMs: await walkOnce() };
  } finally {
    env.sandbox.setFaults(null);
  }
  note(
    `list with ${API_LATENCY_MS} ms API latency: tool ${withLatency.toolMs.toFixed(0)} ms vs walk ` +
      `${withLatency.walkMs.toFixed(0)} ms → ${(withLatency.toolMs / withLatency.walkMs).toFixed(2)}`,
  );

  return [
    ratioResult({
      name: `list ${count.toLocaleString("en-US")} entries`,
      measuredLabel: "list_files",
      baselineLabel: "20-per-page walk",
      value: Math.min(...toolMs),
      baseline: Math.min(...walkMs),
      unit: "ms",
      digits: 0,
      comparison: "<=",
      target: 0.25,
      details: {
        statistic: `best of runs, after ${WARMUP_CALLS} untimed listings / 50 untimed walk pages`,
        toolMs,
        walkMs,
        walkPages: pages,
        [`with${API_LATENCY_MS}msApiLatency`]: {
          ...withLatency,
          ratio: withLatency.toolMs / withLatency.walkMs,
        },
      },
    }),
  ];
}
