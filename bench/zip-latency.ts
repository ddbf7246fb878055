// Zip jobs: how long after the job is ready does download_files return, and how often did it ask?
// Each sample gets its own sandbox (the zip delays are per sandbox) and its own server, and all
// samples run at once: they mostly wait, so the whole bench costs about one long job.
import { join } from "node:path";
import { startSandbox } from "../src/sandbox/index.js";
import type { Sandbox } from "../src/sandbox/types.js";
import { type BenchResult, callTool, median, note, startServer, valueResult } from "./lib.js";
import type { BenchEnv } from "./setup.js";

const PENDING_MS = 1000;
/** Spread so the ready moments fall at different points of the server's polling schedule. */
const SHORT_PROCESSING_MS = [300, 1700, 2900, 4600, 7300, 11800];
const WATCH_INTERVAL_MS = 5;

interface ZipSample {
  jobSeconds: number;
  /** Tool return − job ready. */
  delayMs: number;
  polls: number;
  /** True when the watcher saw the job before it was ready (else the ready moment is computed). */
  readyObserved: boolean;
  status: string;
}

/**
 * Watches the sandbox from inside this process (no HTTP, so it adds no polls): when the job is
 * created (its POST in the request log), which id it has, and the moment it turns `uploaded`.
 */
function watchJob(sandbox: Sandbox) {
  let createdAt: number | null = null;
  let downloadId: number | null = null;
  let readyAt: number | null = null;
  let seenBeforeReady = false;
  const timer = setInterval(() => {
    const now = performance.now();
    if (createdAt === null && sandbox.requests.some((request) => request.route === "download"))
      createdAt = now;
    if (downloadId === null) {
      for (const request of sandbox.requests) {
        const match = /\/files\/downloads\/(\d+)/.exec(request.path);
        if (match) {
          downloadId = Number(match[1]);
          break;
        }
      }
    }
    if (downloadId !== null && readyAt === null) {
      const job = sandbox.getJob(downloadId);
      if (job?.status === "uploaded") readyAt = now;
      else if (job) seenBeforeReady = true;
    }
  }, WATCH_INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      return { createdAt, downloadId, readyAt, seenBeforeReady };
    },
  };
}

async function zipSample(env: BenchEnv, processingMs: number): Promise<ZipSample> {
  const sandbox = await startSandbox({
    zipJob: { pendingMs: PENDING_MS, processingMs },
    dataDir: join(env.workDir, `zip-sandbox-${processingMs}`),
  });
  try {
    const root = sandbox.rootId();
    const first = await sandbox.addFile({
      parentId: root,
      name: "scene-notes.txt",
      content: "lighting pass 3\n".repeat(200),
    });
    const second = await sandbox.addFile({
      parentId: root,
      name: "render-log.txt",
      content: "frame ok\n".repeat(500),
    });
    const server = await startServer({ sandbox, roots: [env.rootDir] });
    try {
      sandbox.clearRequests();
      const watcher = watchJob(sandbox);
      const waitSeconds = Math.ceil((PENDING_MS + processingMs) / 1000) + 60;
      const call = await callTool(
        server.client,
        "download_files",
        { file_ids: [first, second], wait_seconds: waitSeconds },
        (waitSeconds + 30) * 1000,
      );
      const returnedAt = performance.now();
      const seen = watcher.stop();
      const status = String(call.structured.status);
      if (seen.createdAt === null) throw new Error("download_files never started a zip job");
      // Without a sighting before ready (the first status poll came after it), compute the moment.
      const readyAt =
        seen.readyAt !== null && seen.seenBeforeReady
          ? seen.readyAt
          : seen.createdAt + PENDING_MS + processingMs;
      const polls = sandbox.requests.filter((request) => request.route === "download-status").length;
      return {
        jobSeconds: (readyAt - seen.createdAt) / 1000,
        delayMs: returnedAt - readyAt,
        polls,
        readyObserved: seen.seenBeforeReady,
        status,
      };
    } finally {
      await server.close();
    }
  } finally {
    await sandbox.close();
  }
}

export async function benchZipLatency(env: BenchEnv): Promise<BenchResult[]> {
  const longProcessingMs = env.options.zipJobSeconds * 1000 - PENDING_MS;
  const processing = [...SHORT_PROCESSING_MS.filter((ms) => ms < longProcessingMs), longProcessingMs];
  const samples = await Promise.all(processing.map((ms) => zipSample(env, ms)));
  for (const sample of samples) {
    note(
      `zip job ${sample.jobSeconds.toFixed(1)} s: returned ${sample.delayMs.toFixed(0)} ms after ready, ` +
        `${sample.polls} polls, status ${sample.status}${sample.readyObserved ? "" : " (ready moment computed)"}`,
    );
  }
  const long = samples[samples.length - 1]!;
  const pollsPerSecond = long.polls / long.jobSeconds;
  return [
    valueResult({
      name: `zip job ready → tool returns (median of ${samples.length})`,
      label: "median delay",
      value: median(samples.map((sample) => sample.delayMs)) / 1000,
      unit: "s",
      digits: 2,
      comparison: "<=",
      target: 0.5,
      details: { samples, pendingMs: PENDING_MS },
    }),
    valueResult({
      name: `zip status polls over a ${long.jobSeconds.toFixed(0)} s job`,
      label: `${long.polls} polls →`,
      value: pollsPerSecond,
      unit: "polls/s",
      digits: 2,
      comparison: "<=",
      target: 1,
      details: { polls: long.polls, jobSeconds: long.jobSeconds },
    }),
  ];
}
