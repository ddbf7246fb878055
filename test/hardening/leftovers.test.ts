// A server killed mid-transfer (SIGKILL: no cleanup runs) leaves a hidden `.partial` file, or a
// half-filled extraction folder. The next start sweeps this server's own stale leftovers from the
// roots and the default download folder, and every download sweeps its target folder first:
// only names this server makes, only inside roots, only once older than a live transfer leaves
// them. The kill is real: the server runs as a child process (the built CLI) and is SIGKILLed
// while its download hangs in the sandbox.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import yazl from "yazl";
import { EXTRACTING_MARKER, markExtraction } from "../../src/local/leftovers.js";
import { setRaceHook } from "../../src/local/race-seam.js";
import { SEED } from "../../src/sandbox/index.js";
import { checkedByTest } from "../helpers/checked-path.js";
import { toolText, useHarness } from "../helpers/harness.js";

const cli = path.resolve("dist/cli.js");
const AN_HOUR_AGO = new Date(Date.now() - 60 * 60 * 1000);

let workDir: string;

beforeAll(async () => {
  await fs.access(cli); // `npm test` builds before vitest runs.
  workDir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "vagon-leftovers-")));
  // The install's marker key lives in the state folder: this run's own, shared with its children.
  process.env.XDG_STATE_HOME = path.join(workDir, "state");
});

// The in-process server for the downloads below; the SIGKILL stories start their own children.
const { harness, sandbox } = useHarness({ sandboxOptions: { zipJob: { pendingMs: 10, processingMs: 10 } } });

afterAll(async () => {
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
    // As the killed server marked the folder it was filling.
    await markExtraction(checkedByTest(halfExtracted), true);
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
  });
});

describe("bookkeeping no download can forge", () => {
  // A marker's name and content are no proof: a Vagon file or a zip entry can carry both. The
  // sweep removes a folder only for a marker it can prove this install wrote there.
  const FORGED = JSON.stringify({ ownFolder: true });

  it("a Vagon file named .vagon-extracting saved into a folder doesn't get that folder removed at the next start", async () => {
    const root = path.join(workDir, "forged-file-root");
    const victim = path.join(root, "thesis");
    await fs.mkdir(victim, { recursive: true });
    await fs.writeFile(path.join(victim, "chapter-1.docx"), "the user's only copy");
    const forgedId = await sandbox.addFile({
      parentId: sandbox.rootId(),
      name: EXTRACTING_MARKER,
      content: FORGED,
    });

    const first = startChild(root);
    await first.client.connect(first.transport);
    let savedTo = "";
    try {
      const result = await first.client.callTool({
        name: "download_files",
        arguments: { file_ids: [forgedId], save_to: "thesis" },
      });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      savedTo = (result.structuredContent as { saved_to: string }).saved_to;
      expect(path.dirname(savedTo)).toBe(victim);
      // Time passes: whatever was saved is now as old as a crash's leftovers.
      await fs.utimes(savedTo, AN_HOUR_AGO, AN_HOUR_AGO);
    } finally {
      await first.client.close();
    }
    // Even a marker planted under the reserved name by something else proves nothing.
    await fs.writeFile(
      path.join(victim, EXTRACTING_MARKER),
      JSON.stringify({ ownFolder: true, mac: "00".repeat(32) }),
    );
    await fs.utimes(path.join(victim, EXTRACTING_MARKER), AN_HOUR_AGO, AN_HOUR_AGO);

    const second = startChild(root);
    await second.client.connect(second.transport);
    try {
      expect(await fs.readFile(path.join(victim, "chapter-1.docx"), "utf8")).toBe("the user's only copy");
      expect((await fs.readdir(victim)).sort()).toContain(EXTRACTING_MARKER);
      // The download itself never takes the reserved name.
      expect(path.basename(savedTo)).toBe(`_${EXTRACTING_MARKER}`);
    } finally {
      await second.client.close();
    }
  });

  it("a zip entry named .vagon-extracting with an old date doesn't get its folder removed by the next download", async () => {
    const zip = new yazl.ZipFile();
    const longAgo = new Date("2001-01-01T00:00:00Z");
    zip.addBuffer(Buffer.from(FORGED), `thesis/${EXTRACTING_MARKER}`, { mtime: longAgo });
    zip.addBuffer(Buffer.from("the user's chapter"), "thesis/chapter-1.docx", { mtime: longAgo });
    zip.end();
    const zipId = await sandbox.addFile({
      parentId: sandbox.rootId(),
      name: "thesis-bundle.zip",
      content: await buffer(zip.outputStream),
    });
    const extracted = await harness.callTool("download_files", {
      file_ids: [zipId],
      save_to: "fresh",
      extract: true,
    });
    expect(extracted.isError, toolText(extracted)).toBeFalsy();
    const thesis = path.join(harness.root, "fresh", "thesis");

    // The next download into the same folder sweeps it first.
    const next = await harness.callTool("download_files", {
      file_ids: [SEED.sharedTextFileId],
      save_to: "fresh",
    });
    expect(next.isError, toolText(next)).toBeFalsy();
    expect(await fs.readFile(path.join(thesis, "chapter-1.docx"), "utf8")).toBe("the user's chapter");
    expect((await fs.readdir(thesis)).sort()).toEqual([`_${EXTRACTING_MARKER}`, "chapter-1.docx"]);
  });
});
