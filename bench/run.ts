// `npm run bench`: every benchmark against a baseline from this same run, one line each, then a
// summary; results also go to bench/results.json. Missing a target is a finding, not a crash:
// the exit code is 0 unless the bench itself could not run.
//
//   BENCH_SIZE_MB=64             shrink the big transfer file for a quick smoke run (default 1024)
//   BENCH_ONLY=upload,list       run a subset: cold-start, list, housekeeping, context, views, upload, download,
//                                read-file, folder, upload-link, zip, oauth, load
//   BENCH_FOLDER_SMALL=500, BENCH_FOLDER_BIG_MB=64, BENCH_LINK_MB=256   shrink the folder and link benches
//   LOAD_SESSIONS, LOAD_CALLS    see bench/load.ts (list_files through nginx vs direct)
//   BENCH_ROUNDS=3               baseline/measured pairs per transfer and list benchmark (default 3)
//   BENCH_ZIP_JOB_SECONDS=60     length of the zip job whose status polls are counted
//   BENCH_REPEAT=3               run the whole suite 3 times; each target is judged on the median
//   BENCH_ORG_ENTRIES=5000       shrink the generated organization of the housekeeping bench (default 50000)
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { benchColdStart } from "./cold-start.js";
import { benchContext } from "./context.js";
import { benchDownload } from "./download.js";
import { benchFolderUpload } from "./folder-upload.js";
import { benchHousekeeping } from "./housekeeping.js";
import {
  type BenchResult,
  CLI_PATH,
  failedResult,
  MIB,
  median,
  note,
  print,
  sizeLabel,
  targetText,
  verdict,
} from "./lib.js";
import { benchList } from "./list.js";
import { benchLoad } from "./load.js";
import { benchOAuth } from "./oauth.js";
import { benchReadFile } from "./read-file.js";
import { type BenchEnv, createBenchEnv } from "./setup.js";
import { benchUpload } from "./upload.js";
import { benchUploadLink } from "./upload-link.js";
import { benchViews } from "./views.js";
import { benchZipLatency } from "./zip-latency.js";

// Quiet machine first (cold start, listing), then the big transfers, then the mostly idle zip jobs.
const BENCHMARKS: Record<string, (env: BenchEnv) => Promise<BenchResult[]>> = {
  "cold-start": benchColdStart,
  list: benchList,
  housekeeping: benchHousekeeping,
  context: benchContext,
  views: benchViews,
  upload: benchUpload,
  download: benchDownload,
  "read-file": benchReadFile,
  folder: benchFolderUpload,
  "upload-link": benchUploadLink,
  zip: benchZipLatency,
  oauth: benchOAuth,
  // Last: it spawns three replicas and nginx and keeps both cores busy.
  load: benchLoad,
};

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function selected(): string[] {
  const only = process.env.BENCH_ONLY;
  if (!only) return Object.keys(BENCHMARKS);
  const names = only
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ONLY: unknown ${unknown.join(", ")}; choose from ${Object.keys(BENCHMARKS).join(", ")}`,
    );
  }
  return Object.keys(BENCHMARKS).filter((name) => names.includes(name));
}

async function runSuite(names: string[], options: BenchEnv["options"]): Promise<BenchResult[]> {
  const env = await createBenchEnv(options);
  const results: BenchResult[] = [];
  try {
    for (const name of names) {
      const benchStartedAt = performance.now();
      let produced: BenchResult[];
      try {
        produced = await BENCHMARKS[name]!(env);
      } catch (error) {
        produced = [failedResult(name, error)];
        process.stderr.write(
          `${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
      }
      for (const result of produced) {
        results.push(result);
        print(result.line);
      }
      note(`${name} took ${((performance.now() - benchStartedAt) / 1000).toFixed(1)} s`);
    }
  } finally {
    await env.close();
  }
  return results;
}

/** One result per benchmark from several runs, judged on the median of what each run judged. */
function medianOf(runs: BenchResult[]): BenchResult {
  const first = runs[0]!;
  const judged = (run: BenchResult) => (run.compares === "ratio" ? (run.ratio ?? Number.NaN) : run.value);
  const measured = runs.filter((run) => Number.isFinite(judged(run)));
  if (measured.length === 0) return { ...first, pass: false, line: `${first.name}: no run measured MISS` };
  const middle = median(measured.map(judged));
  const pass = verdict(middle, first.comparison, first.target);
  const digits = first.compares === "ratio" ? 2 : first.digits;
  const each = measured.map((run) => judged(run).toFixed(digits)).join(", ");
  const what = first.compares === "ratio" ? "median ratio" : "median";
  const unit = first.compares === "ratio" ? "" : ` ${first.unit}`;
  return {
    ...first,
    value: median(measured.map((run) => run.value)),
    baseline: first.compares === "ratio" ? median(measured.map((run) => run.baseline ?? Number.NaN)) : null,
    ratio: first.compares === "ratio" ? middle : null,
    pass,
    line:
      `${first.name}: ${what} ${middle.toFixed(digits)}${unit} (runs ${each}) ` +
      `(target ${targetText(first.comparison, first.target, digits)}${unit}) ${pass ? "PASS" : "MISS"}`,
    details: {
      statistic: `median of ${measured.length} runs`,
      runs: measured.map(({ line: _line, ...run }) => run),
    },
  };
}

async function main(): Promise<void> {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first`);
  const options = {
    sizeBytes: Math.round(positiveNumber("BENCH_SIZE_MB", 1024) * MIB),
    rounds: Math.round(positiveNumber("BENCH_ROUNDS", 3)),
    zipJobSeconds: positiveNumber("BENCH_ZIP_JOB_SECONDS", 60),
    listEntries: 5000,
  };
  const repeat = Math.round(positiveNumber("BENCH_REPEAT", 1));
  const names = selected();
  const startedAt = performance.now();
  print(
    `vagon-files-mcp bench — ${names.join(", ")}; transfer file ${sizeLabel(options.sizeBytes)}, ` +
      `${options.rounds} round(s)${repeat > 1 ? `, ${repeat} runs` : ""}; node ${process.version}, ${cpus().length} cores`,
  );

  const runs: BenchResult[][] = [];
  for (let run = 1; run <= repeat; run++) {
    if (repeat > 1) print(`\nrun ${run} of ${repeat}`);
    runs.push(await runSuite(names, options));
  }
  const results =
    repeat === 1
      ? runs[0]!
      : runs[0]!.map((result) => medianOf(runs.map((run) => run.find((r) => r.name === result.name)!)));

  const durationSeconds = (performance.now() - startedAt) / 1000;
  const passed = results.filter((result) => result.pass).length;
  print("");
  if (repeat > 1) {
    print(`medians of ${repeat} runs:`);
    for (const result of results) print(result.line);
    print("");
  }
  print(`summary: ${passed}/${results.length} targets met in ${durationSeconds.toFixed(0)} s`);
  for (const result of results.filter((result) => !result.pass)) print(`  MISS ${result.name}`);

  const outputPath = fileURLToPath(new URL("./results.json", import.meta.url));
  const report = {
    ranAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cores: cpus().length,
    sizeBytes: options.sizeBytes,
    rounds: options.rounds,
    repeat,
    durationSeconds,
    results: results.map(({ line: _line, ...result }) => result),
  };
  await writeFile(outputPath, `${JSON.stringify(report, null, 2)}\n`);
  print(`results written to ${outputPath}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
