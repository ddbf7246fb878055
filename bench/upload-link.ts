// The remote path: create_upload_link, the handed-out curl commands (4 at a time, as
// upload_file sends 4 parts at a time), complete_upload — against upload_file from disk.
//
//   BENCH_LINK_MB=256           size of the file
import { exec } from "node:child_process";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import {
  type BenchResult,
  callTool,
  generateFile,
  MIB,
  note,
  ratioResult,
  settleDisk,
  toolText,
} from "./lib.js";
import type { BenchEnv } from "./setup.js";

const run = promisify(exec);
const PARALLEL_COMMANDS = 4;

export async function benchUploadLink(env: BenchEnv): Promise<BenchResult[]> {
  const sizeBytes = Math.round(Number(process.env.BENCH_LINK_MB ?? 256) * MIB);
  const filePath = join(env.rootDir, "link-bench.bin");
  await generateFile(filePath, sizeBytes);
  const server = await env.server();
  const linkMs: number[] = [];
  const toolMs: number[] = [];
  let counter = 0;
  for (let round = 0; round < env.options.rounds; round++) {
    for (const which of round % 2 === 0 ? ["link", "tool"] : ["tool", "link"]) {
      settleDisk();
      const fileName = `link-bench-${++counter}.bin`;
      if (which === "tool") {
        const call = await callTool(server.client, "upload_file", {
          local_path: filePath,
          file_name: fileName,
        });
        toolMs.push(call.elapsedMs);
        await env.vagon.deleteFile(Number(call.structured.id));
        continue;
      }
      const startedAt = performance.now();
      const created = await callTool(server.client, "create_upload_link", {
        file_name: fileName,
        size: sizeBytes,
      });
      const lines = toolText(created.result).split("\n");
      // The agent points FILE at its copy of the file; the commands stay as handed out.
      const fileLine = `FILE='${filePath}'`;
      const putFunction = lines.find((line) => line.startsWith("put() {"))!;
      const commands = lines.filter((line) => line.startsWith("put '"));
      const etags: string[] = new Array(commands.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: PARALLEL_COMMANDS }, async () => {
          while (next < commands.length) {
            const index = next++;
            const { stdout } = await run(`${fileLine}\n${putFunction}\n${commands[index]}`, {
              cwd: dirname(filePath),
              shell: "/bin/sh",
            });
            etags[index] = stdout.trim();
          }
        }),
      );
      const completed = await callTool(server.client, "complete_upload", {
        file_id: Number(created.structured.file_id),
        etags,
      });
      linkMs.push(performance.now() - startedAt);
      note(
        `upload link #${linkMs.length}: ${((performance.now() - startedAt) / 1000).toFixed(2)} s, ${commands.length} parts`,
      );
      await env.vagon.deleteFile(Number(completed.structured.id));
    }
  }
  return [
    ratioResult({
      name: `upload ${Math.round(sizeBytes / MIB)} MiB via create_upload_link + curl + complete_upload`,
      measuredLabel: "link + curl",
      baselineLabel: "upload_file",
      value: Math.min(...linkMs) / 1000,
      baseline: Math.min(...toolMs) / 1000,
      unit: "s",
      comparison: "<=",
      // Reported: the remote path's cost, not a target.
      target: 3,
      details: {
        statistic: "best of runs",
        linkSeconds: linkMs.map((ms) => ms / 1000),
        toolSeconds: toolMs.map((ms) => ms / 1000),
        parallelCommands: PARALLEL_COMMANDS,
      },
    }),
  ];
}
