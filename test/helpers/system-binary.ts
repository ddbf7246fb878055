// Suites that drive a system program (curl, nginx, Chromium) run whenever it is installed.
// Without it they are skipped, and the skip is recorded so the run ends with one loud banner
// naming every skipped suite and the single command that installs what they need
// (test/helpers/skipped-suites.ts prints it).
import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Debian package per program, for the install command the banner prints. */
const DEBIAN_PACKAGE: Record<string, string> = { curl: "curl", nginx: "nginx", chromium: "chromium" };

export const SKIPS_DIR_ENV = "VAGON_TEST_SKIPS_DIR";

/**
 * The first of `candidates` (names looked up on PATH, or absolute paths) that runs, or null —
 * in which case `suite` is recorded as skipped for want of `program`.
 */
export function findSystemBinary(
  program: string,
  suite: string,
  candidates: string[] = [program],
): string | null {
  for (const candidate of candidates) {
    const found = candidate.includes("/") ? executable(candidate) : onPath(candidate);
    if (found) return found;
  }
  recordSkip(program, suite);
  return null;
}

function executable(file: string): string | null {
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return null;
  }
}

function onPath(name: string): string | null {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

function recordSkip(program: string, suite: string): void {
  const line = `SKIPPED: ${suite} — needs ${program}`;
  console.warn(`\n!! ${line} (apt-get install -y ${DEBIAN_PACKAGE[program] ?? program})\n`);
  const dir = process.env[SKIPS_DIR_ENV];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${program}-${suite.replace(/[^\w.-]+/g, "_")}.txt`),
    `${program}\t${suite}\n`,
  );
}

export function installCommand(programs: Iterable<string>): string {
  const packages = [...new Set([...programs].map((program) => DEBIAN_PACKAGE[program] ?? program))].sort();
  return `apt-get update && apt-get install -y ${packages.join(" ")}`;
}
