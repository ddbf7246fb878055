// list_files under concurrent load, through nginx (deploy/nginx.conf in front of three
// `--stateless` replicas) against straight to one replica, in the same run: calls/s, p50/p99
// latency, errors (target 0) and RSS per replica. The target is a ratio — the balancer's p50
// at most 1.15 × direct — since absolute figures depend on the machine.
//
// Part of `npm run bench` (BENCH_ONLY=load), or on its own after `npm run build`:
//   node --import tsx bench/load.ts
//   LOAD_SESSIONS=50,200   concurrent sessions per step (default 50,200)
//   LOAD_CALLS=1000        list_files calls per measured run (default 1000)
//   BENCH_ROUNDS=3         nginx/direct pairs per step, run ABBA (default 3); medians are reported
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startSandbox } from "../src/sandbox/index.js";
import type { Sandbox } from "../src/sandbox/types.js";
import { tableRows } from "../src/views/table.js";
import { findNginx, NGINX_INSTALL_COMMAND, type Nginx, startNginx } from "../test/helpers/nginx.js";
import { freePort, type Replica, startReplica } from "../test/helpers/replicas.js";
import {
  type BenchResult,
  failedResult,
  median,
  note,
  print,
  ratioResult,
  readProcStatusBytes,
  valueResult,
} from "./lib.js";

const P50_TARGET_RATIO = 1.15;
const LISTED_ENTRIES = 50;

interface RunFigures {
  calls: number;
  errors: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  firstError: string | null;
}

function percentile(sortedMs: number[], fraction: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(fraction * sortedMs.length))] as number;
}

function listOption(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const values = raw.split(",").map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value <= 0)) {
    throw new Error(`${name} must be positive whole numbers separated by commas, got "${raw}"`);
  }
  return values;
}

async function connectSessions(url: string, count: number): Promise<Client[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const client = new Client({ name: "vagon-files-load", version: "0.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      return client;
    }),
  );
}

/** `calls` list_files calls shared out over the sessions, each session one call at a time. */
async function measure(clients: Client[], folderId: number, calls: number): Promise<RunFigures> {
  const latenciesMs: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (next < calls) {
        next += 1;
        const callStartedAt = performance.now();
        try {
          const result = await client.callTool({ name: "list_files", arguments: { parent_id: folderId } });
          const entries = tableRows((result.structuredContent as { entries?: unknown } | undefined)?.entries);
          if (result.isError || entries.length !== LISTED_ENTRIES) throw new Error(JSON.stringify(result));
          latenciesMs.push(performance.now() - callStartedAt);
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  const elapsedMs = performance.now() - startedAt;
  latenciesMs.sort((a, b) => a - b);
  return {
    calls,
    errors,
    callsPerSecond: (calls / elapsedMs) * 1000,
    p50Ms: percentile(latenciesMs, 0.5),
    p99Ms: percentile(latenciesMs, 0.99),
    firstError,
  };
}

function describeRun(label: string, figures: RunFigures): string {
  return (
    `${label}: ${figures.callsPerSecond.toFixed(0)} calls/s, p50 ${figures.p50Ms.toFixed(1)} ms, ` +
    `p99 ${figures.p99Ms.toFixed(1)} ms, ${figures.errors} errors`
  );
}

export async function benchLoad(env?: { sandbox: Sandbox }): Promise<BenchResult[]> {
  const nginxBinary = findNginx("bench/load.ts");
  if (nginxBinary === null) {
    return [
      failedResult("load", new Error(`nginx is not installed; install it with: ${NGINX_INSTALL_COMMAND}`)),
    ];
  }
  const sessionSteps = listOption("LOAD_SESSIONS", [50, 200]);
  const callsPerRun = listOption("LOAD_CALLS", [1000])[0] as number;
  const rounds = listOption("BENCH_ROUNDS", [3])[0] as number;

  const sandbox = env?.sandbox ?? (await startSandbox());
  const folderId = sandbox.addDirectory({ parentId: sandbox.rootId(), name: `Load ${Date.now()}` });
  for (let index = 0; index < LISTED_ENTRIES; index++) {
    await sandbox.addFile({
      parentId: folderId,
      name: `frame_${String(index).padStart(4, "0")}.exr`,
      content: "x",
    });
  }
  const replicas: Replica[] = [];
  let nginx: Nginx | null = null;
  try {
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const port of ports) replicas.push(await startReplica({ sandbox, port, logLevel: "warn" }));
    nginx = await startNginx({ binary: nginxBinary, upstreamPorts: ports, listenPort: await freePort() });
    const direct = replicas[0] as Replica;
    const targets = { nginx: nginx.url, direct: direct.url };

    const results: BenchResult[] = [];
    let totalErrors = 0;
    let firstError: string | null = null;
    for (const sessions of sessionSteps) {
      const clients = {
        nginx: await connectSessions(targets.nginx, sessions),
        direct: await connectSessions(targets.direct, sessions),
      };
      // Warm both paths (JIT, connection pools) before anything is timed.
      await measure(clients.nginx, folderId, Math.min(callsPerRun, sessions * 3));
      await measure(clients.direct, folderId, Math.min(callsPerRun, sessions * 3));
      const runs: Record<"nginx" | "direct", RunFigures[]> = { nginx: [], direct: [] };
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (["direct", "nginx"] as const) : (["nginx", "direct"] as const);
        for (const path of order) {
          const figures = await measure(clients[path], folderId, callsPerRun);
          runs[path].push(figures);
          totalErrors += figures.errors;
          firstError ??= figures.firstError;
          note(describeRun(`load ${sessions} sessions ${path} #${runs[path].length}`, figures));
        }
      }
      await Promise.all(
        [...clients.nginx, ...clients.direct].map((client) => client.close().catch(() => {})),
      );

      const summary = (path: "nginx" | "direct") => ({
        callsPerSecond: median(runs[path].map((run) => run.callsPerSecond)),
        p50Ms: median(runs[path].map((run) => run.p50Ms)),
        p99Ms: median(runs[path].map((run) => run.p99Ms)),
      });
      const viaNginx = summary("nginx");
      const viaDirect = summary("direct");
      const rssMb = await Promise.all(
        replicas.map(async (replica) => (await readProcStatusBytes(replica.pid, "VmRSS")) / 1024 / 1024),
      );
      const line =
        `    nginx → 3 replicas: ${viaNginx.callsPerSecond.toFixed(0)} calls/s, p50 ${viaNginx.p50Ms.toFixed(1)} ms, ` +
        `p99 ${viaNginx.p99Ms.toFixed(1)} ms; direct → 1 replica: ${viaDirect.callsPerSecond.toFixed(0)} calls/s, ` +
        `p50 ${viaDirect.p50Ms.toFixed(1)} ms, p99 ${viaDirect.p99Ms.toFixed(1)} ms; ` +
        `RSS per replica ${rssMb.map((mb) => mb.toFixed(0)).join(" / ")} MB`;
      results.push(
        ratioResult({
          name: `load list_files p50, ${sessions} sessions`,
          measuredLabel: "via nginx",
          baselineLabel: "direct",
          value: viaNginx.p50Ms,
          baseline: viaDirect.p50Ms,
          unit: "ms",
          digits: 1,
          comparison: "<=",
          target: P50_TARGET_RATIO,
          details: { sessions, callsPerRun, rounds, viaNginx, viaDirect, rssMb, runs },
        }),
      );
      note(line);
    }
    results.push(
      valueResult({
        name: "load errors",
        label: `failed calls over every load run${firstError ? ` (first: ${firstError.slice(0, 120)})` : ""}`,
        value: totalErrors,
        unit: "calls",
        digits: 0,
        comparison: "<=",
        target: 0,
      }),
    );
    return results;
  } finally {
    await nginx?.stop().catch(() => {});
    await Promise.all(replicas.map((replica) => replica.stop()));
    if (!env) await sandbox.close();
  }
}

// Run on its own: `node --import tsx bench/load.ts`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchLoad().then(
    (results) => {
      for (const result of results) print(result.line);
      // As `npm run bench`: a missed target is a finding, not a failure to run.
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        `load bench could not run: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
