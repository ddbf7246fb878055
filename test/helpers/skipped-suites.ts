// vitest globalSetup: collects the suites skipped for want of a system program (see
// system-binary.ts) and ends the run with one banner that a CI log can't hide.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { installCommand, SKIPS_DIR_ENV } from "./system-binary.js";

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), "vagon-test-skips-"));
  // Test workers are forked after this runs, so they inherit it.
  process.env[SKIPS_DIR_ENV] = dir;
  return () => {
    const skips = readdirSync(dir).map((file) =>
      readFileSync(path.join(dir, file), "utf8").trim().split("\t"),
    );
    rmSync(dir, { recursive: true, force: true });
    if (skips.length === 0) return;
    const bar = "!".repeat(78);
    const lines = skips.map(([program, suite]) => `!!   ${suite} (needs ${program})`).sort();
    process.stderr.write(
      `\n${bar}\n!! ${skips.length} suite(s) SKIPPED because a system program is missing:\n${lines.join("\n")}\n` +
        `!! Install what they need, then run npm test again:\n!!   ${installCommand(skips.map(([program]) => program ?? ""))}\n${bar}\n\n`,
    );
  };
}
