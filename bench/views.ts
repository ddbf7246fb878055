// The MCP Apps views: bytes each one costs a host (gzipped HTML, as dist/views ships it) and the
// time from the host's resources/read to the view's first render in headless Chromium, through
// the shipped server (dist/cli.js over stdio) and ext-apps' AppBridge, as in test/mcp/views.
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { gzipSync } from "node:zlib";
import { CHROMIUM_INSTALL, CHROMIUM_PATH, startViewHost } from "../test/mcp/views/view-host.js";
import { type BenchResult, failedResult, median, note, REPO_DIR, valueResult } from "./lib.js";
import type { BenchEnv } from "./setup.js";

const MAX_GZIP_KB = 60;
// A host's own iframe setup is of this order; the view should not be what users wait for.
const MAX_RENDER_MS = 500;
const MOUNTS = 5;

/** A call that feeds each view, made as a model would make it. */
const SAMPLE_CALLS: { view: string; tool: string; args: Record<string, unknown> }[] = [
  { view: "browser", tool: "list_files", args: { location: "shared" } },
  { view: "gallery", tool: "read_file", args: { file_id: 18095 } },
  { view: "usage", tool: "storage_usage", args: { location: "shared", depth: 2 } },
  { view: "delete-preview", tool: "delete_files", args: { location: "shared", name: "*.txt" } },
];

export async function benchViews(env: BenchEnv): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const { view } of SAMPLE_CALLS) {
    const html = await readFile(`${REPO_DIR}dist/views/${view}.html`);
    const gzipKb = gzipSync(html, { level: 9 }).length / 1024;
    results.push(
      valueResult({
        name: `view ${view} size`,
        label: `${(html.length / 1024).toFixed(0)} KB raw, gzipped`,
        value: gzipKb,
        unit: "KB",
        digits: 1,
        comparison: "<",
        target: MAX_GZIP_KB,
      }),
    );
  }
  if (!CHROMIUM_PATH) {
    results.push(failedResult("view render", new Error(`no Chromium: ${CHROMIUM_INSTALL}`)));
    return results;
  }
  // Parsing and running ~190 KB of script is CPU-bound: a busy machine shows here first.
  note(`load average ${loadavg()[0]!.toFixed(1)} before the render runs`);
  const server = await env.server();
  const host = await startViewHost(server.client);
  try {
    for (const { view, tool, args } of SAMPLE_CALLS) {
      if (!host.viewOf.has(tool)) {
        note(`view ${view}: ${tool} is not registered, render not measured`);
        continue;
      }
      const times: number[] = [];
      for (let mount = 0; mount < MOUNTS; mount += 1) times.push((await host.mount(tool, args)).renderMs);
      results.push(
        valueResult({
          name: `view ${view} render`,
          label: `resources/read → first render, median of ${MOUNTS}`,
          value: median(times),
          unit: "ms",
          digits: 0,
          comparison: "<",
          target: MAX_RENDER_MS,
          details: { runs: times },
        }),
      );
    }
  } finally {
    await host.close();
  }
  return results;
}
