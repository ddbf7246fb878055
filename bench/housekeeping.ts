// Housekeeping at scale. (1) find_files over a generated 50,000-entry organization against what
// an agent does without it: list_files page after page of 20, folder after folder, one call at a
// time — on bare loopback and with 20 ms of API latency; the server's peak RSS during the scan
// (a fresh process, so VmHWM is the scan's) and the result's size. (2) "Delete recordings older
// than 30 days" over a few hundred dated sessions: calls and result bytes with delete_files
// (preview + confirm) against list_files + delete_file one by one.
//
//   BENCH_ORG_ENTRIES=50000 BENCH_ORG_FOLDERS=2000   size of the generated organization
//   BENCH_SESSIONS=300                               session folders for the delete story
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { tableRows } from "../src/views/table.js";
import {
  type BenchResult,
  callTool,
  MB,
  note,
  ratioResult,
  startServer,
  toolText,
  valueResult,
} from "./lib.js";
import type { BenchEnv } from "./setup.js";

const API_LATENCY_MS = 20;
const FIND_ARGS = { name: "*.mp4", min_size: "1GB", sort: "size", limit: 50 };

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? "");
  return Number.isFinite(value) && value > 0 ? Math.round(value) : fallback;
}

/** Text plus structured JSON: what a host may hand the model. */
function resultBytes(result: CallToolResult): number {
  return (
    Buffer.byteLength(toolText(result)) + Buffer.byteLength(JSON.stringify(result.structuredContent ?? {}))
  );
}

/** The agent without find_files: every folder listed in pages of 20, one call at a time. */
async function sequentialWalk(
  client: Client,
  folderId: number,
): Promise<{ ms: number; calls: number; entries: number }> {
  const startedAt = performance.now();
  const folders = [folderId];
  let calls = 0;
  let entries = 0;
  while (folders.length > 0) {
    const parentId = folders.shift() as number;
    for (let page: number | null = 1; page !== null; ) {
      const call = await callTool(client, "list_files", { parent_id: parentId, page, per_page: 20 });
      calls += 1;
      const listed = tableRows(call.structured.entries) as Array<{ id: number; kind: string }>;
      entries += listed.length;
      for (const entry of listed) if (entry.kind === "directory") folders.push(entry.id);
      page = call.structured.next_page as number | null;
    }
  }
  return { ms: performance.now() - startedAt, calls, entries };
}

export async function benchHousekeeping(env: BenchEnv): Promise<BenchResult[]> {
  const entries = envNumber("BENCH_ORG_ENTRIES", 50_000);
  const folders = envNumber("BENCH_ORG_FOLDERS", 2_000);
  const generatedAt = performance.now();
  const org = env.sandbox.generateOrganization({ entries, folders, seed: 1, name: "Bench organization" });
  note(
    `generated ${entries.toLocaleString("en-US")} entries in ${folders} folders in ${(performance.now() - generatedAt).toFixed(0)} ms`,
  );
  const label = `${Math.round(entries / 1000)}k-entry org`;

  // A fresh server: its high-water mark is this scan's.
  const server = await startServer({ sandbox: env.sandbox, roots: [env.rootDir] });
  const results: BenchResult[] = [];
  try {
    const find = () => callTool(server.client, "find_files", { parent_id: org.folderId, ...FIND_ARGS });
    // Warm both paths (JIT), untimed: the server is long-lived, its first scan pays for compiling.
    await find();
    for (let page = 1; page <= 20; page++) {
      await callTool(server.client, "list_files", { parent_id: org.folderId, page, per_page: 20 });
    }

    const found = await find();
    const peakRssBytes = await server.peakRssBytes();
    const summary = found.structured.summary as {
      scanned_entries: number;
      matched: number;
      complete: boolean;
    };
    if (summary.scanned_entries !== entries)
      throw new Error(`find_files scanned ${summary.scanned_entries} of ${entries}`);
    const walk = await sequentialWalk(server.client, org.folderId);
    if (walk.entries !== entries) throw new Error(`the list_files walk saw ${walk.entries} of ${entries}`);
    note(
      `find_files ${found.elapsedMs.toFixed(0)} ms (${summary.matched} matches) vs list_files walk ${walk.ms.toFixed(0)} ms over ${walk.calls} calls`,
    );
    results.push(
      ratioResult({
        name: `find_files over a ${label}`,
        measuredLabel: "find_files",
        baselineLabel: "sequential list_files walk, pages of 20",
        value: found.elapsedMs,
        baseline: walk.ms,
        unit: "ms",
        digits: 0,
        comparison: "<=",
        target: 0.3,
        details: { entries, folders, walkCalls: walk.calls, matched: summary.matched },
      }),
    );

    env.sandbox.setFaults({ seed: 1, routes: { "list-files": { latency: 1, latencyMs: API_LATENCY_MS } } });
    try {
      const slowFind = await find();
      const slowWalk = await sequentialWalk(server.client, org.folderId);
      note(
        `with ${API_LATENCY_MS} ms API latency: find_files ${slowFind.elapsedMs.toFixed(0)} ms vs walk ${slowWalk.ms.toFixed(0)} ms`,
      );
      results.push(
        ratioResult({
          name: `find_files over a ${label}, ${API_LATENCY_MS} ms API latency`,
          measuredLabel: "find_files",
          baselineLabel: "sequential list_files walk, pages of 20",
          value: slowFind.elapsedMs,
          baseline: slowWalk.ms,
          unit: "ms",
          digits: 0,
          comparison: "<=",
          target: 0.1,
        }),
      );
    } finally {
      env.sandbox.setFaults(null);
    }

    results.push(
      valueResult({
        name: `find_files over a ${label}: server peak RSS`,
        label: "VmHWM",
        value: peakRssBytes / MB,
        unit: "MB",
        digits: 0,
        comparison: "<",
        target: 120,
      }),
      valueResult({
        name: `find_files over a ${label}: result size`,
        label: "text + structured",
        value: resultBytes(found.result) / 1000,
        unit: "KB",
        digits: 1,
        comparison: "<",
        target: 30,
      }),
    );
    results.push(...(await benchDeleteStory(env, server.client)));
  } finally {
    await server.close();
  }
  return results;
}

/** "Delete recordings older than 30 days": two calls against a listing and one delete per session. */
async function benchDeleteStory(env: BenchEnv, client: Client): Promise<BenchResult[]> {
  const sessions = envNumber("BENCH_SESSIONS", 300);
  const recordingsRootId = env.sandbox.recordingsRootId();
  const filter = { location: "recordings", kind: "directory", max_depth: 0, modified_before: "30d" };
  const arrange = () =>
    env.sandbox.generateOrganization({
      layout: "sessions",
      parentId: recordingsRootId,
      folders: sessions,
      seed: 2,
    });

  // With the housekeeping tools: preview, then confirm.
  arrange();
  const preview = await callTool(client, "delete_files", filter);
  const confirmed = await callTool(client, "delete_files", {
    ...filter,
    confirm: preview.structured.plan_id,
  });
  const toolBytes = resultBytes(preview.result) + resultBytes(confirmed.result);
  const deleted = confirmed.structured.deleted as number;

  // Without them: list every session (pages of 100), pick the old ones by date, delete each.
  arrange();
  const cutoffMs = Date.now() - 30 * 24 * 3600_000;
  let baselineBytes = 0;
  let baselineCalls = 0;
  const old: number[] = [];
  for (let page: number | null = 1; page !== null; ) {
    const listed = await callTool(client, "list_files", { location: "recordings", page, per_page: 100 });
    baselineCalls += 1;
    baselineBytes += resultBytes(listed.result);
    for (const entry of tableRows(listed.structured.entries) as Array<{
      id: number;
      kind: string;
      modified?: string;
    }>) {
      if (entry.kind === "directory" && entry.modified && Date.parse(entry.modified) < cutoffMs)
        old.push(entry.id);
    }
    page = listed.structured.next_page as number | null;
  }
  for (const id of old) {
    const call = await callTool(client, "delete_file", { file_id: id });
    baselineCalls += 1;
    baselineBytes += resultBytes(call.result);
  }
  note(
    `delete story: delete_files 2 calls, ${toolBytes} B, ${deleted} deleted vs list_files + delete_file ${baselineCalls} calls, ${baselineBytes} B, ${old.length} deleted`,
  );
  return [
    ratioResult({
      name: `delete recordings older than 30 days (${sessions} sessions): result bytes`,
      measuredLabel: "delete_files preview + confirm",
      baselineLabel: "list_files + delete_file one by one",
      value: toolBytes,
      baseline: baselineBytes,
      unit: "B",
      digits: 0,
      comparison: "<=",
      target: 0.2,
      details: { toolCalls: 2, baselineCalls, deleted, baselineDeleted: old.length },
    }),
    ratioResult({
      name: `delete recordings older than 30 days (${sessions} sessions): calls`,
      measuredLabel: "delete_files",
      baselineLabel: "list_files + delete_file",
      value: 2,
      baseline: baselineCalls,
      unit: "calls",
      digits: 0,
      comparison: "<=",
      target: 0.2,
    }),
  ];
}
