// The official MCP conformance suite, both revisions this server serves, against the built server
// in sandbox mode (scripts/conformance.mjs; expected failures, each with its reason, in
// conformance/expected-failures.yml: only scenarios that need the suite's own fixture tools).
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";

it("passes the conformance suite for 2025-11-25 and 2026-07-28, fixture-tool scenarios aside", async () => {
  await fs.access(path.resolve("dist/cli.js")); // `npm test` builds before vitest runs.
  const run = spawn(process.execPath, ["scripts/conformance.mjs"], { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  run.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const [code] = await once(run, "exit");
  expect(output).toMatch(/conformance 2025-11-25[\s\S]*Baseline check passed/);
  expect(output).toMatch(/conformance 2026-07-28[\s\S]*Baseline check passed/);
  expect(code, output).toBe(0);
}, 180_000);
