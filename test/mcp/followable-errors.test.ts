import * as fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { SEED } from "../../src/sandbox/index.js";
import { startHarness, startSlowZipWorld, toolText, useHarness } from "../helpers/harness.js";

const { harness, sandbox } = useHarness({ logLevel: "info" });

interface LinkResult {
  file_id: number;
  parts: { part: number; url: string; offset: number; length: number }[];
}

describe("ids of the wrong kind are named as such in every tool (item 3)", () => {
  it("read_file of a folder id says it is a folder and names directory_id", async () => {
    const result = await harness.callTool("read_file", { file_id: SEED.projectFolderId });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(
      new RegExp(
        `^Item ${SEED.projectFolderId} \\(.+\\) is a folder, not a file, so read_file can't read it\\. .*download_files directory_id=${SEED.projectFolderId}`,
      ),
    );
    expect(toolText(result)).not.toMatch(/couldn't find|may have been deleted/);
  });

  it("read_file of a recordings folder id says so too", async () => {
    const result = await harness.callTool("read_file", { file_id: SEED.sessionFolderId });
    expect(toolText(result)).toMatch(
      new RegExp(`Item ${SEED.sessionFolderId} \\(.+\\) is a folder, not a file`),
    );
  });

  it("every tool with a file id as parent_id says it is a file, naming it", async () => {
    const file = SEED.sharedTextFileId;
    const calls: [string, Record<string, unknown>][] = [
      ["create_directory", { name: "x", parent_id: file }],
      ["upload_file", { content: "x", encoding: "utf8", file_name: "a.txt", parent_id: file }],
      ["create_upload_link", { file_name: "a.txt", size: 5, parent_id: file }],
      ["find_files", { parent_id: file, name: "*" }],
      ["storage_usage", { parent_id: file }],
      ["delete_files", { parent_id: file, name: "*" }],
      ["list_files", { parent_id: file, recursive: true }],
    ];
    for (const [name, args] of calls) {
      const result = await harness.callTool(name, args);
      expect(result.isError, name).toBe(true);
      expect(toolText(result), name).toBe(
        `Item ${file} (welcome.txt) is a file, not a folder, so it can't be parent_id. Use its folder's id as parent_id (0 = the root), or fetch the file itself with download_files file_ids=[${file}].`,
      );
    }
  });

  it("download_files directory_id of a file id says it is a file and names file_ids", async () => {
    const result = await harness.callTool("download_files", { directory_id: SEED.sharedTextFileId });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toBe(
      `Item ${SEED.sharedTextFileId} (welcome.txt) is a file, not a folder, so directory_id can't zip it. Fetch the file itself with download_files file_ids=[${SEED.sharedTextFileId}].`,
    );
  });
});

describe("arguments are read the way models send them (item 11)", () => {
  it("suggests parent_id for folder_id and file_id for id, in one paragraph", async () => {
    sandbox.clearRequests();
    const folder = await harness.callTool("list_files", { folder_id: SEED.projectFolderId });
    expect(folder.isError).toBe(true);
    expect(toolText(folder)).toBe(
      'list_files does not take "folder_id" (did you mean parent_id?); nothing was done. Its inputs are: location, machine_id, parent_id, query, task_id, page, per_page, limit, recursive, cursor, max_depth. Call it again with those names.',
    );
    const id = await harness.callTool("read_file", { id: SEED.sharedTextFileId });
    expect(id.isError).toBe(true);
    // One paragraph: not also "expected number, received undefined at file_id".
    expect(toolText(id)).toMatch(
      /^read_file does not take "id" \(did you mean file_id\?\); nothing was done\./,
    );
    expect(toolText(id)).not.toMatch(/\n|expected number/);
    const directory = await harness.callTool("download_files", { folder_id: SEED.projectFolderId });
    expect(toolText(directory)).toMatch(/"folder_id" \(did you mean directory_id\?\)/);
    const download = await harness.callTool("get_download", { id: 5 });
    expect(toolText(download)).toMatch(/"id" \(did you mean download_id\?\)/);
    expect(sandbox.requests).toHaveLength(0);
  });

  it('accepts "Shared" for an enum and "100" for an id', async () => {
    const shared = await harness.callTool("list_files", { location: "Shared" });
    expect(shared.isError, toolText(shared)).toBeFalsy();
    const machine = await harness.callTool("list_files", { location: "MACHINE", machine_id: "100" });
    expect(machine.isError, toolText(machine)).toBeFalsy();
    expect(toolText(machine)).toMatch(/^Computer #100/);
    const read = await harness.callTool("read_file", { file_id: ` ${SEED.sharedTextFileId}`, head: "2" });
    expect(read.isError, toolText(read)).toBeFalsy();
    const files = await harness.callTool("download_files", { file_ids: [String(SEED.sharedTextFileId)] });
    expect(toolText(files)).toMatch(/welcome\.txt .* is ready/);
    // What isn't a number stays refused.
    const word = await harness.callTool("read_file", { file_id: "welcome.txt" });
    expect(word.isError).toBe(true);
  });

  it("advertises the same input schemas as before: nothing grows tools/list", async () => {
    const { tools } = await harness.mcp.listTools();
    const listFiles = tools.find((tool) => tool.name === "list_files");
    expect(listFiles?.inputSchema.properties?.machine_id).toEqual({
      type: "integer",
      minimum: 1,
      description: "Required for machine; filters recordings.",
    });
  });
});

describe("a delete answers what it deleted by name, kind and size (item 8)", () => {
  it("delete_file without elicitation names a folder with its size and a file with its size", async () => {
    const folderId = sandbox.addDirectory({ parentId: 0, name: "old renders" });
    const framesId = sandbox.addDirectory({ parentId: folderId, name: "frames" });
    await sandbox.addFile({ parentId: folderId, name: "a.exr", content: "x".repeat(3000) });
    await sandbox.addFile({ parentId: framesId, name: "b.exr", content: "y".repeat(2000) });
    const folder = await harness.callTool("delete_file", { file_id: folderId });
    expect(folder.isError, toolText(folder)).toBeFalsy();
    expect(toolText(folder)).toBe(
      `Deleted the folder "old renders" (id ${folderId}, 4.9 KB in 2 files) and everything in it.`,
    );
    expect(folder.structuredContent).toEqual({
      file_id: folderId,
      deleted: true,
      name: "old renders",
      kind: "directory",
      size: 5000,
    });

    const fileId = await sandbox.addFile({ parentId: 0, name: "notes.txt", content: "z" });
    const file = await harness.callTool("delete_file", { file_id: fileId });
    expect(toolText(file)).toBe(`Deleted the file "notes.txt" (id ${fileId}, 1 byte).`);
    expect(file.structuredContent).toMatchObject({ name: "notes.txt", kind: "file", size: 1 });
  });
});

describe("delete_files names what it deleted too", () => {
  it("answers the names, kinds and sizes of what went, in the singular when one", async () => {
    const folderId = sandbox.addDirectory({ parentId: 0, name: "bulk" });
    const inner = sandbox.addDirectory({ parentId: folderId, name: "takes" });
    await sandbox.addFile({ parentId: inner, name: "t1.mov", content: "m".repeat(2048) });
    const fileId = await sandbox.addFile({ parentId: folderId, name: "edl.txt", content: "e" });
    const preview = await harness.callTool("delete_files", { file_ids: [inner, fileId] });
    const { plan_id: planId } = preview.structuredContent as { plan_id: string };
    const done = await harness.callTool("delete_files", { file_ids: [inner, fileId], confirm: planId });
    expect(done.isError, toolText(done)).toBeFalsy();
    expect(toolText(done)).toMatch(
      /^Deleted 2 of 2 items, 2\.0 KB freed: (takes\/ \(folder, 2\.0 KB\), edl\.txt \(file, 1 byte\)|edl\.txt \(file, 1 byte\), takes\/ \(folder, 2\.0 KB\))\.$/,
    );

    const lone = await sandbox.addFile({ parentId: folderId, name: "lone.txt", content: "l" });
    const again = await harness.callTool("delete_files", { file_ids: [lone] });
    const second = await harness.callTool("delete_files", {
      file_ids: [lone],
      confirm: (again.structuredContent as { plan_id: string }).plan_id,
    });
    expect(toolText(second)).toBe("Deleted 1 of 1 item, 1 byte freed: lone.txt (file, 1 byte).");
  });
});

describe("a timed-out download's hint can be followed as written (item 7)", () => {
  it("repeats save_to and extract, and following it extracts the files", async () => {
    const world = await startSlowZipWorld();
    try {
      const started = await world.harness.callTool("download_files", {
        directory_id: SEED.projectFolderId,
        save_to: "project copy",
        extract: true,
        wait_seconds: 0,
      });
      expect(started.isError, toolText(started)).toBeFalsy();
      const { download_id: downloadId } = started.structuredContent as { download_id: number };
      const hint = /Call get_download with (.*) to continue; nothing is lost\./.exec(toolText(started));
      expect(hint?.[1]).toBe(`download_id=${downloadId}, save_to="project copy", extract=true`);

      // The hint, parsed as an agent would read it, is the whole call.
      const args = Object.fromEntries(
        (hint?.[1] ?? "").split(", ").map((pair) => {
          const [key, value] = pair.split("=") as [string, string];
          return [key, JSON.parse(value)];
        }),
      );
      world.jobsFinish();
      const finished = await world.harness.callTool("get_download", args);
      expect(finished.isError, toolText(finished)).toBeFalsy();
      expect(finished.structuredContent).toMatchObject({ status: "extracted" });
      // One instant format for every expires_at (item 12): to the second.
      expect((finished.structuredContent as { expires_at: string }).expires_at).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      );
    } finally {
      await world.close();
    }
  });
});

describe("smaller things read one way (item 12)", () => {
  it("says zip job, not download job, in errors about a job", async () => {
    const result = await harness.callTool("get_download", { download_id: 424_242 });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/^Zip job 424242 was not found/);
  });

  it("gives expires_at to the second, for a link and for a zip job alike", async () => {
    const link = await harness.callTool("download_files", { file_ids: [SEED.sharedTextFileId] });
    const upload = await harness.callTool("create_upload_link", { file_name: "later.bin", size: 10 });
    // A zip job's expires_at is checked where one finishes (item 7's test).
    for (const result of [link, upload]) {
      const expiresAt = (result.structuredContent as { expires_at: string }).expires_at;
      expect(expiresAt, toolText(result)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });

  it("read_file says its numbers are bytes, and an offset past the end says the file's size", async () => {
    const tail = await harness.callTool("read_file", { file_id: SEED.sharedTextFileId, tail: 2 });
    expect(toolText(tail).split("\n")[0]).toMatch(/, last 2 lines \(bytes \d+–141\) \(end of file\)/);
    const past = await harness.callTool("read_file", {
      file_id: SEED.sharedTextFileId,
      offset: 5000,
      length: 10,
    });
    expect(past.isError, toolText(past)).toBeFalsy();
    expect(toolText(past).split("\n")[0]).toMatch(
      /bytes 141–141 \(end of file\); offset=5,000 is past the end: the file has 141 bytes, so nothing was read/,
    );
  });

  it("says one entry, one file and one byte in the singular", async () => {
    const folderId = sandbox.addDirectory({ parentId: 0, name: "single" });
    await sandbox.addFile({ parentId: folderId, name: "one.txt", content: "1" });
    const listing = await harness.callTool("list_files", { parent_id: folderId });
    expect(toolText(listing)).toMatch(/: 1 of 1 entry\b/);
    const usage = await harness.callTool("storage_usage", { parent_id: folderId });
    expect(toolText(usage)).toMatch(/1 byte in 1 file, 0 folders/);
  });
});

describe("big uploads get the chunk size that works, and a full storage says both numbers (item 6)", () => {
  it("create_upload_link for 21 GiB hands out 5 GiB parts instead of saying to split the file", async () => {
    const size = 21 * 1024 ** 3;
    const result = await harness.callTool("create_upload_link", {
      file_name: "scene.vdb",
      size,
      location: "machine",
      machine_id: SEED.runningMachineId,
    });
    expect(result.isError, toolText(result)).toBeFalsy();
    const { parts, file_id: fileId } = result.structuredContent as unknown as LinkResult;
    expect(parts.map((part) => part.length)).toEqual([...Array(4).fill(5 * 1024 ** 3), 1024 ** 3]);
    await harness.callTool("delete_file", { file_id: fileId });
  });

  it("a file bigger than what is free names its size, the free space and the use", async () => {
    const result = await harness.callTool("create_upload_link", {
      file_name: "archive.tar",
      size: 25 * 1024 ** 3,
    });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(
      /^Not enough space: "archive\.tar" \(25 GB\) is bigger than what is free in the organization's shared storage \(\d+(\.\d)? GB free: \d+(\.\d)? GB of 25 GB used\)\. Free up at least \d+(\.\d)? GB/,
    );
    expect(toolText(result)).not.toMatch(/is full/);
  });
});

describe("machine ids can be found (item 4)", () => {
  it("the recordings listing shows the machine each session ran on, in text and structured", async () => {
    const result = await harness.callTool("list_files", { location: "recordings" });
    expect(result.isError, toolText(result)).toBeFalsy();
    const lines = toolText(result).split("\n");
    // A line: id, size, modified, then what says something (machine=…), then the name.
    const session = lines.find((line) => line.startsWith(`${SEED.sessionFolderId} `));
    expect(session).toMatch(new RegExp(`^${SEED.sessionFolderId} .*machine=${SEED.runningMachineId} `));
    const stopped = lines.find((line) => line.startsWith(`${SEED.stoppedMachineSessionFolderId} `));
    expect(stopped).toMatch(new RegExp(`machine=${SEED.stoppedMachineId}\\b`));
    // The listing names no machine: each recording says its own, in the table's machine_id column.
    const { entries } = result.structuredContent as { entries: { columns: string[]; rows: unknown[][] } };
    const column = entries.columns.indexOf("machine_id");
    const machineOf = (id: number) => entries.rows.find((row) => row[0] === id)?.[column];
    expect(column).toBeGreaterThan(0);
    expect(machineOf(SEED.sessionFolderId)).toBe(SEED.runningMachineId);
    expect(machineOf(SEED.stoppedMachineSessionFolderId)).toBe(SEED.stoppedMachineId);
  });

  it("a machine listing doesn't repeat its own machine on every line", async () => {
    const result = await harness.callTool("list_files", {
      location: "machine",
      machine_id: SEED.runningMachineId,
    });
    expect(toolText(result)).not.toMatch(/machine=/);
  });

  it("a missing machine_id says where to find one, and the prompt no longer sends the agent to guess", async () => {
    const result = await harness.callTool("list_files", { location: "machine" });
    expect(toolText(result)).toBe(
      "location 'machine' needs machine_id (the cloud computer's id). list_files location=recordings shows the machine_id of each session; if none fits, ask the user (the Vagon dashboard shows it).",
    );
    const prompt = await harness.mcp.getPrompt({ name: "fetch-task-outputs", arguments: { task_id: "42" } });
    const text = prompt.messages
      .map((message) => (message.content.type === "text" ? message.content.text : ""))
      .join("");
    expect(text).toMatch(/location "recordings" shows each session's machine_id/);
    expect(text).toMatch(/ask me for the machine id \(the Vagon dashboard shows it\)/);
    expect(text).not.toMatch(/Find the machine/);
  });
});

describe("a recursive listing marks the folders max_depth kept closed (item 9)", () => {
  it("says which folders were not opened and how to go on, in text and structured", async () => {
    const top = sandbox.addDirectory({ parentId: 0, name: "shot-010" });
    const frames = sandbox.addDirectory({ parentId: top, name: "frames" });
    const hiRes = sandbox.addDirectory({ parentId: frames, name: "hi-res" });
    await sandbox.addFile({ parentId: hiRes, name: "f0001.exr", content: "x" });
    await sandbox.addFile({ parentId: top, name: "notes.txt", content: "y" });
    const result = await harness.callTool("list_files", { parent_id: top, recursive: true, max_depth: 1 });
    expect(result.isError, toolText(result)).toBeFalsy();
    const text = toolText(result);
    // The note stands before the name, which ends the line (a name could itself end in "(not opened)").
    expect(text).toMatch(new RegExp(`^ {2}${hiRes} .*\\(not opened\\) hi-res/$`, "m"));
    expect(text).toMatch(new RegExp(`^${frames} [^(]*frames/$`, "m"));
    expect(text).toMatch(
      new RegExp(
        `Folders marked \\(not opened\\) are at max_depth 1: their contents were not listed\\. List one with parent_id=${hiRes}, or call again with max_depth=2\\.`,
      ),
    );
    expect(result.structuredContent).toMatchObject({ not_opened: [hiRes] });

    const deeper = await harness.callTool("list_files", { parent_id: top, recursive: true, max_depth: 2 });
    expect(toolText(deeper)).toMatch(/f0001\.exr/);
    expect(toolText(deeper)).not.toMatch(/not opened/);
    expect(deeper.structuredContent).not.toHaveProperty("not_opened");
  });
});

describe("relative paths start in the host's root and errors say where they looked (item 10)", () => {
  it("over stdio, resolves against the first root the host offers, not the configured one", async () => {
    const hosted = await startHarness({ sandbox, capabilities: { roots: {} } });
    try {
      // The host's project folder: not the configured root (as --sandbox's temp folder is not).
      const project = path.join(hosted.workDir, "project");
      await fs.mkdir(path.join(project, "sub"), { recursive: true });
      await fs.writeFile(path.join(project, "sub", "c.md"), "# notes\n");
      hosted.mcp.setRequestHandler(ListRootsRequestSchema, async () => ({
        roots: [{ uri: pathToFileURL(project).href, name: "project" }],
      }));
      const uploaded = await hosted.callTool("upload_file", { local_path: "sub/c.md" });
      expect(uploaded.isError, toolText(uploaded)).toBeFalsy();
      expect(uploaded.structuredContent).toMatchObject({ name: "c.md", size: 8 });

      const missing = await hosted.callTool("upload_file", { local_path: "sub/d.md" });
      expect(missing.isError).toBe(true);
      expect(toolText(missing)).toContain(
        `There is no file at "sub/d.md" (relative paths start in ${project}: looked at ${path.join(project, "sub", "d.md")})`,
      );
    } finally {
      await hosted.close({ keepSandbox: true });
    }
  });

  it("without host roots, names the configured folder it looked in", async () => {
    const missing = await harness.callTool("upload_file", { local_path: "sub/c.md" });
    expect(toolText(missing)).toContain(
      `(relative paths start in ${harness.root}: looked at ${path.join(harness.root, "sub", "c.md")})`,
    );
  });
});
