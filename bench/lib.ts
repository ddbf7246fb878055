// Shared machinery of the benchmarks: results, formatting, timing, the server under test
// (a separate `node dist/cli.js` process so its RSS is its own), and the raw-transfer helper
// process that runs every baseline off the sandbox's thread, just as the server does.
import { type ChildProcess, fork, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Sandbox } from "../src/sandbox/types.js";
import { signRequest } from "../src/vagon/signing.js";
import type { RawTask, RawTaskResult } from "./raw-transfer.js";

export const MIB = 1024 * 1024;
export const MB = 1_000_000;
export const REPO_DIR = fileURLToPath(new URL("..", import.meta.url));
export const CLI_PATH = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

export interface BenchResult {
  name: string;
  /** The measured value, in `unit`. */
  value: number;
  /** The baseline from the same run, when the target is a ratio. */
  baseline: number | null;
  /** value / baseline, or null when the target applies to the value itself. */
  ratio: number | null;
  unit: string;
  /** Decimals the value is printed with. */
  digits: number;
  /** What is compared with the target: the ratio or the value. */
  compares: "ratio" | "value";
  comparison: "<=" | "<";
  target: number;
  pass: boolean;
  /** The printed line. */
  line: string;
  details?: Record<string, unknown>;
  /**
   * A time (or a ratio of times): judged only on a machine that is not busier than its cores
   * (load average at the start of the benchmark); otherwise reported as "noisy".
   */
  timing?: boolean;
  /** A figure reported without a target (another issue's number): never counted as met or missed. */
  figure?: boolean;
  /** Set by the runner: the load average said the machine was too busy to judge this timing. */
  noisy?: boolean;
}

/** Times are what a busy machine distorts; bytes, calls, tokens and memory are not. */
function isTiming(unit: string): boolean {
  return unit === "s" || unit === "ms";
}

/** A number from another issue (cold start with the v2 SDK, token validation cost, …), no target. */
export function figureResult(input: {
  name: string;
  value: number;
  unit: string;
  digits?: number;
  details?: Record<string, unknown>;
}): BenchResult {
  const digits = input.digits ?? 2;
  return {
    name: input.name,
    value: input.value,
    baseline: null,
    ratio: null,
    unit: input.unit,
    digits,
    compares: "value",
    comparison: "<=",
    target: Number.NaN,
    pass: true,
    line: `${input.name}: ${input.value.toFixed(digits)} ${input.unit} (figure, no target)`,
    details: input.details,
    timing: isTiming(input.unit),
    figure: true,
  };
}

export function verdict(measure: number, comparison: "<=" | "<", target: number): boolean {
  return comparison === "<=" ? measure <= target : measure < target;
}

const SYMBOL = { "<=": "≤", "<": "<" } as const;

export function targetText(comparison: "<=" | "<", target: number, digits: number): string {
  return `${SYMBOL[comparison]} ${target.toFixed(digits)}`;
}

/** A ratio result: `upload 1 GiB: tool 9.8 s vs raw PUT 9.1 s → ratio 1.08 (target ≤ 1.10) PASS`. */
export function ratioResult(input: {
  name: string;
  measuredLabel: string;
  baselineLabel: string;
  value: number;
  baseline: number;
  unit: string;
  digits?: number;
  comparison: "<=" | "<";
  target: number;
  details?: Record<string, unknown>;
}): BenchResult {
  const ratio = input.value / input.baseline;
  const pass = verdict(ratio, input.comparison, input.target);
  const digits = input.digits ?? 2;
  const value = `${input.value.toFixed(digits)} ${input.unit}`;
  const baseline = `${input.baseline.toFixed(digits)} ${input.unit}`;
  return {
    name: input.name,
    value: input.value,
    baseline: input.baseline,
    ratio,
    unit: input.unit,
    digits,
    compares: "ratio",
    comparison: input.comparison,
    target: input.target,
    pass,
    line:
      `${input.name}: ${input.measuredLabel} ${value} vs ${input.baselineLabel} ${baseline} → ` +
      `ratio ${ratio.toFixed(2)} (target ${targetText(input.comparison, input.target, 2)}) ${pass ? "PASS" : "MISS"}`,
    details: input.details,
    timing: isTiming(input.unit),
  };
}

/** A value result: `cold start: median 212 ms (target < 300 ms) PASS`. */
export function valueResult(input: {
  name: string;
  label: string;
  value: number;
  unit: string;
  digits?: number;
  comparison: "<=" | "<";
  target: number;
  details?: Record<string, unknown>;
}): BenchResult {
  const pass = verdict(input.value, input.comparison, input.target);
  const digits = input.digits ?? 2;
  return {
    name: input.name,
    value: input.value,
    baseline: null,
    ratio: null,
    unit: input.unit,
    digits,
    compares: "value",
    comparison: input.comparison,
    target: input.target,
    pass,
    line:
      `${input.name}: ${input.label} ${input.value.toFixed(digits)} ${input.unit} ` +
      `(target ${targetText(input.comparison, input.target, digits)} ${input.unit}) ${pass ? "PASS" : "MISS"}`,
    details: input.details,
    timing: isTiming(input.unit),
  };
}

/** A benchmark that could not run (the module under test failed): printed and recorded as a miss. */
export function failedResult(name: string, error: unknown): BenchResult {
  const message = error instanceof Error ? error.message : String(error);
  return {
    name,
    value: Number.NaN,
    baseline: null,
    ratio: null,
    unit: "",
    digits: 0,
    compares: "value",
    comparison: "<=",
    target: Number.NaN,
    pass: false,
    line: `${name}: FAILED to run — ${message.split("\n")[0]} MISS`,
    details: { error: message },
  };
}

export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Progress chatter goes to stderr so stdout stays the result lines. */
export function note(line: string): void {
  process.stderr.write(`  · ${line}\n`);
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Writes out what earlier benchmarks left dirty in the page cache (the sandbox stores every upload
 * on this same disk), so that writeback is not billed to the next timed transfer: a download that
 * flushes its file would otherwise queue behind gigabytes of someone else's data.
 */
export function settleDisk(): void {
  spawnSync("sync", { stdio: "ignore" });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function sizeLabel(bytes: number): string {
  if (bytes % (1024 * MIB) === 0) return `${bytes / (1024 * MIB)} GiB`;
  return `${Math.round(bytes / MIB)} MiB`;
}

/** Writes `sizeBytes` of incompressible-looking bytes quickly: one random MiB, re-stamped per block. */
export async function generateFile(filePath: string, sizeBytes: number): Promise<void> {
  const block = Buffer.alloc(MIB);
  for (let offset = 0; offset < MIB; offset += 4)
    block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, offset);
  const out = createWriteStream(filePath, { highWaterMark: 4 * MIB });
  let written = 0;
  let blockIndex = 0;
  while (written < sizeBytes) {
    const length = Math.min(MIB, sizeBytes - written);
    // A fresh stamp per block so no two MiB are identical (dedup or caching can't flatter anyone).
    const chunk = Buffer.from(block.subarray(0, length));
    chunk.writeDoubleLE(blockIndex++, 0);
    written += length;
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", resolve));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

// ---------------------------------------------------------------------------------------------
// The server under test

export interface ServerUnderTest {
  client: Client;
  pid: number;
  /** Last few KB the server wrote to stderr, for diagnostics. */
  stderrTail(): string;
  /** Peak resident set of the process so far (VmHWM), bytes. */
  peakRssBytes(): Promise<number>;
  /** Starts the peak over from the current RSS (Linux: clear_refs 5), so a phase's peak is its own. */
  resetPeakRss(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The code cache folder of every server the bench starts (src/launcher.ts): the run's own, so
 * that other checkouts on the machine, which keep theirs in the same user cache folder and drop
 * caches of other builds, can't make a measured server compile from scratch.
 */
let serverCacheHome: string | undefined;

export function setServerCacheHome(folder: string): void {
  serverCacheHome = folder;
}

export function serverEnv(sandbox: Pick<Sandbox, "apiUrl" | "apiKey" | "apiSecret">): Record<string, string> {
  return {
    ...getDefaultEnvironment(),
    ...(serverCacheHome ? { XDG_CACHE_HOME: serverCacheHome } : {}),
    VAGON_API_URL: sandbox.apiUrl,
    VAGON_API_KEY: sandbox.apiKey,
    VAGON_API_SECRET: sandbox.apiSecret,
    VAGON_MCP_LOG_LEVEL: "warn",
  };
}

export async function startServer(input: {
  sandbox: Pick<Sandbox, "apiUrl" | "apiKey" | "apiSecret">;
  roots: string[];
}): Promise<ServerUnderTest> {
  // BENCH_CPU_PROF=<folder>: the server (and its worker threads) write V8 CPU profiles there.
  const profile = process.env.BENCH_CPU_PROF;
  const args = [...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : []), CLI_PATH];
  for (const root of input.roots) args.push("--root", root);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: serverEnv(input.sandbox),
    stderr: "pipe",
    cwd: REPO_DIR,
  });
  let tail = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4096);
  });
  const client = new Client({ name: "vagon-files-bench", version: "0.0.0" });
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close().catch(() => {});
    throw new Error(`the server did not start: ${(error as Error).message}\n${tail}`);
  }
  const pid = transport.pid;
  if (pid === null) throw new Error("the server process has no pid");
  return {
    client,
    pid,
    stderrTail: () => tail,
    peakRssBytes: () => readProcStatusBytes(pid, "VmHWM"),
    resetPeakRss: () => writeFile(`/proc/${pid}/clear_refs`, "5"),
    close: () => client.close(),
  };
}

/** Reads one `kB` field of /proc/<pid>/status, in bytes. */
export async function readProcStatusBytes(pid: number, field: "VmHWM" | "VmRSS"): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Samples VmRSS every intervalMs until stopped; returns the highest sample. */
export function sampleRss(pid: number, intervalMs = 50): { stop(): Promise<number> } {
  let peakBytes = 0;
  const timer = setInterval(() => {
    readProcStatusBytes(pid, "VmRSS").then(
      (bytes) => {
        peakBytes = Math.max(peakBytes, bytes);
      },
      () => {},
    );
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await readProcStatusBytes(pid, "VmRSS").then(
        (bytes) => {
          peakBytes = Math.max(peakBytes, bytes);
        },
        () => {},
      );
      return peakBytes;
    },
  };
}

export interface ToolCall {
  result: CallToolResult;
  structured: Record<string, unknown>;
  elapsedMs: number;
  progressNotifications: number;
}

/** Calls a tool, times it from request to answer, and throws with the tool's own text on isError. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  timeoutMs = 10 * 60_000,
): Promise<ToolCall> {
  let progressNotifications = 0;
  const startedAt = performance.now();
  const result = (await client.callTool({ name, arguments: args }, undefined, {
    timeout: timeoutMs,
    // Hosts that show progress pass a token; measure with the notifications flowing.
    onprogress: () => {
      progressNotifications++;
    },
  })) as CallToolResult;
  const elapsedMs = performance.now() - startedAt;
  if (result.isError) throw new Error(`${name} failed: ${toolText(result)}`);
  const structured = (result.structuredContent ?? {}) as Record<string, unknown>;
  return { result, structured, elapsedMs, progressNotifications };
}

export function toolText(result: CallToolResult): string {
  return result.content
    .filter((item): item is { type: "text"; text: string } => item.type === "text")
    .map((item) => item.text)
    .join("\n");
}

// ---------------------------------------------------------------------------------------------
// Raw baselines, run in a helper process (bench/raw-transfer.ts) that times itself

export async function runRaw<T extends RawTask>(task: T): Promise<RawTaskResult<T>> {
  const helper: ChildProcess = fork(fileURLToPath(new URL("./raw-transfer.ts", import.meta.url)), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  try {
    const answer = await new Promise<{ ok: true; result: RawTaskResult<T> } | { ok: false; error: string }>(
      (resolve, reject) => {
        helper.once("message", (message) => resolve(message as never));
        helper.once("error", reject);
        helper.once("exit", (code) => reject(new Error(`raw-transfer helper exited with ${code}`)));
        helper.send(task);
      },
    );
    if (!answer.ok) throw new Error(`raw ${task.kind} failed: ${answer.error}`);
    return answer.result;
  } finally {
    helper.kill();
  }
}

/** One signed API request, answered as raw text (the bytes a naive integration would hand the model). */
export async function signedGetText(
  sandbox: Pick<Sandbox, "apiUrl" | "apiKey" | "apiSecret">,
  endpointPath: string,
  query: Record<string, string | number>,
): Promise<string> {
  const base = new URL(sandbox.apiUrl);
  const path = `${base.pathname.replace(/\/$/, "")}${endpointPath}`;
  const url = new URL(`${base.origin}${path}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
  const { header } = signRequest({
    apiKey: sandbox.apiKey,
    apiSecret: sandbox.apiSecret,
    method: "GET",
    path,
    body: "",
  });
  const response = await fetch(url, {
    headers: { authorization: header, "content-type": "application/json" },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${endpointPath} answered ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true }).catch(() => {});
}
