// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, the 0.2.0 line that
// carries the 2026-07-28 requirement set) against the built server in sandbox mode, for both
// revisions this server serves: 2025-11-25 (the initialize era) and 2026-07-28. One stateful HTTP
// server answers both, as in production. The suite needs Node 22 (fs.globSync) while the product
// supports Node ≥ 20.18, so it runs under the Node 22 of the `node` devDependency; the server runs
// under the Node running this script. conformance/expected-failures.yml lists the scenarios that
// need the suite's own fixture tools. Usage: node scripts/conformance.mjs [revision...]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const repo = fileURLToPath(new URL("..", import.meta.url));
const node22 = require.resolve("node/bin/node");
const suite = require.resolve("@modelcontextprotocol/conformance/dist/index.js");
const revisions = process.argv.length > 2 ? process.argv.slice(2) : ["2025-11-25", "2026-07-28"];

const server = spawn(
  process.execPath,
  ["dist/cli.js", "--sandbox", "--http", "--host", "127.0.0.1", "--port", "0"],
  { cwd: repo, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, VAGON_MCP_HTTP_TOKEN: "" } },
);
let stderr = "";
server.stderr.setEncoding("utf8");
const url = await new Promise((resolve, reject) => {
  server.stderr.on("data", (chunk) => {
    stderr += chunk;
    const found = /MCP endpoint: (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr);
    if (found) resolve(found[1]);
  });
  server.once("exit", (code) =>
    reject(new Error(`the server exited (${code}) before listening:\n${stderr}`)),
  );
});

let failed = false;
try {
  for (const revision of revisions) {
    process.stderr.write(`conformance ${revision} against ${url}\n`);
    const run = spawn(
      node22,
      [
        suite,
        "server",
        "--url",
        url,
        "--requirements",
        revision,
        "--expected-failures",
        "conformance/expected-failures.yml",
      ],
      { cwd: repo, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    run.stdout.setEncoding("utf8").on("data", (chunk) => (output += chunk));
    run.stderr.setEncoding("utf8").on("data", (chunk) => (output += chunk));
    const [code] = await once(run, "exit");
    const verdict = output.split("\n").filter((line) => /Total:|Baseline check|Unexpected|stale/i.test(line));
    process.stderr.write(`${verdict.join("\n")}\n`);
    if (code !== 0) {
      failed = true;
      process.stderr.write(`conformance ${revision} failed (exit ${code}):\n${output}\n`);
    }
  }
} finally {
  server.kill();
}
process.exitCode = failed ? 1 : 0;
