// A server killed mid-transfer (SIGKILL: no cleanup runs) leaves a hidden `.partial` file, or a
// half-filled extraction folder. The next start sweeps this server's own stale leftovers from the
// roots and the default download folder, and every download sweeps its target folder first:
// only names this server makes, only inside roots, only once older than a live transfer leaves
// them. The kill is real: the server runs as a child process (the built CLI) and is SIGKILLed
// while its download hangs in the sandbox.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setRaceHook } from "../../src/race-seam.js";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { EXTRACTING_MARKER } from "../../src/vagon/leftovers.js";
import { startHarness, toolText } from "../helpers/hardening.js";

const cli = path.resolve("dist/cli.js");
const AN_HOUR_AGO = new Date(Date.now() - 60 * 60 * 1000);

let sandbox: Sandbox;
let workDir: string;

beforeAll(async () => {
  await fs.access(cli); // `npm test` builds before vitest runs.
  sandbox = await startSandbox({ zipJob: { pendingMs: 10, processingMs: 10 } });
  workDir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "vagon-leftovers-")));
});

afterAll(async () => {
  await sandbox?.close();
  await fs.rm(workDir, { recursive: true, force: true });
});

afterEach(() => {
  setRaceHook(null);
  sandbox.setFaults(null);
});

function startChild(root: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, "--root", root],
    env: {
      ...process.env,
      VAGON_API_URL: sandbox.apiUrl,
      VAGON_API_KEY: sandbox.apiKey,
      VAGON_API_SECRET: sandbox.apiSecret,
    } as Record<string, string>,
    stderr: "pipe",
  });
  return { transport, client: new Client({ name: "leftovers-test", version: "1.0.0" }) };
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("after a SIGKILL mid-download", () => {
  it("the next start removes the stale .partial and a stale half-extracted folder, nothing else", async () => {
    const root = path.join(workDir, "root");
    const downloads = path.join(root, "vagon-downloads");
    const outside = path.join(workDir, "outside");
    await fs.mkdir(downloads, { recursive: true });
    await fs.mkdir(outside);

    // The object GET hangs, so the child sits mid-download with its .partial open.
    sandbox.setFaults({ routes: { "s3-get": { latency: 1, latencyMs: 60_000 } } });
    const first = startChild(root);
    await first.client.connect(first.transport);
    void first.client
      .callTool({ name: "download_files", arguments: { file_ids: [SEED.sharedTextFileId], save_to: "" } })
      .catch(() => {});
    const partial = await until(async () =>
      (await fs.readdir(downloads)).find((name) => name.endsWith(".partial")),
    );
    const exited = new Promise<void>((resolve) => {
      first.transport.onclose = () => resolve();
    });
    process.kill(first.transport.pid as number, "SIGKILL");
    await exited;
    sandbox.setFaults(null);
    expect(await fs.readdir(downloads)).toContain(partial);

    // What else a crash, the user and other programs may have left around.
    const halfExtracted = path.join(downloads, "bundle");
    await fs.mkdir(halfExtracted);
    await fs.writeFile(path.join(halfExtracted, EXTRACTING_MARKER), JSON.stringify({ ownFolder: true }));
    await fs.writeFile(path.join(halfExtracted, "first-entry.txt"), "half of a bundle");
    const keep = {
      fresh: path.join(downloads, ".report.pdf.0123456789ab.partial"),
      notOurs: path.join(downloads, ".notes.partial"),
      userFolder: path.join(downloads, "my-folder"),
      outsideRoots: path.join(outside, ".old.zip.0123456789ab.partial"),
    };
    await fs.writeFile(keep.fresh, "a download in progress elsewhere");
    await fs.writeFile(keep.notOurs, "the user's own file");
    await fs.mkdir(keep.userFolder);
    await fs.writeFile(keep.outsideRoots, "not inside any root");
    for (const stale of [
      path.join(downloads, partial),
      path.join(halfExtracted, EXTRACTING_MARKER),
      keep.notOurs,
      keep.outsideRoots,
    ]) {
      await fs.utimes(stale, AN_HOUR_AGO, AN_HOUR_AGO);
    }

    // The sweep runs before the server serves, so it is done once initialize is answered.
    const second = startChild(root);
    await second.client.connect(second.transport);
    try {
      const left = await fs.readdir(downloads);
      expect(left).not.toContain(partial);
      expect(left).not.toContain("bundle");
      expect(left.sort()).toEqual([".notes.partial", ".report.pdf.0123456789ab.partial", "my-folder"]);
      await expect(fs.access(keep.outsideRoots)).resolves.toBeUndefined();
    } finally {
      await second.client.close();
    }
  });
});

describe("a download into a folder", () => {
  it("first removes that folder's stale leftovers, and marks an extraction while it runs", async () => {
    const harness = await startHarness({ sandbox });
    try {
      const target = path.join(harness.root, "inbox");
      await fs.mkdir(target);
      await fs.writeFile(path.join(target, "keep.txt"), "so the bundle gets its own folder");
      const stalePartial = path.join(target, ".big.iso.aaaaaaaaaaaa.partial");
      await fs.writeFile(stalePartial, "left by a crash");
      await fs.utimes(stalePartial, AN_HOUR_AGO, AN_HOUR_AGO);

      const markersSeen: boolean[] = [];
      setRaceHook(async (point, folder) => {
        if (point !== "extract:before-entry") return;
        markersSeen.push(
          await fs.access(path.join(folder, EXTRACTING_MARKER)).then(
            () => true,
            () => false,
          ),
        );
      });
      const result = await harness.callTool("download_files", {
        file_ids: [SEED.briefFileId, SEED.dataCsvFileId],
        save_to: "inbox",
        extract: true,
      });

      expect(result.isError, toolText(result)).toBeFalsy();
      await expect(fs.access(stalePartial)).rejects.toThrow();
      expect(markersSeen.length).toBeGreaterThan(0);
      expect(markersSeen.every(Boolean)).toBe(true);
      const savedTo = (result.structuredContent as { saved_to: string }).saved_to;
      expect(await fs.readdir(savedTo)).not.toContain(EXTRACTING_MARKER);
    } finally {
      await harness.close({ keepSandbox: true });
    }
  });
});
