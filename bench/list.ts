// list_files over a 5,000-entry folder against the walk an agent does without it: page after
// page of the API's default 20, one request at a time. Both sides are measured warm: the server
// is a long-lived process (its first listings pay for JIT compilation), so three untimed listings
// come first, and each baseline process walks 50 pages untimed before its timed walk.
import { type BenchResult, callTool, note, ratioResult, runRaw, type ToolCall } from "./lib.js";
import type { BenchEnv } from "./setup.js";

/** The last full listing, for the context bench to weigh. */
export let lastFullListing: ToolCall | null = null;

const WARMUP_CALLS = 3;

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

  for (let round = 0; round < env.options.rounds; round++) {
    const order = round % 2 === 0 ? ["walk", "tool"] : ["tool", "walk"];
    for (const which of order) {
      if (which === "walk") {
        const walk = await runRaw({
          kind: "walk",
          apiUrl: env.sandbox.apiUrl,
          apiKey: env.sandbox.apiKey,
          apiSecret: env.sandbox.apiSecret,
          parentId: folderId,
          perPage: 20,
          warmupPages: 50,
        });
        if (walk.entries !== count)
          throw new Error(`the walk saw ${walk.entries} entries, expected ${count}`);
        pages = walk.pages;
        walkMs.push(walk.elapsedMs);
        note(`list walk #${walkMs.length}: ${walk.elapsedMs.toFixed(0)} ms over ${walk.pages} pages`);
      } else {
        const call = await callTool(server.client, "list_files", { parent_id: folderId, limit: count });
        const entries = call.structured.entries;
        const listed = Array.isArray(entries) ? entries.length : -1;
        if (listed !== count) throw new Error(`list_files returned ${listed} entries, expected ${count}`);
        lastFullListing = call;
        toolMs.push(call.elapsedMs);
        note(`list tool #${toolMs.length}: ${call.elapsedMs.toFixed(0)} ms`);
      }
    }
  }

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
      },
    }),
  ];
}
