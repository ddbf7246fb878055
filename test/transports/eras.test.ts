// README's stories, driven by a client of each protocol era — the v1 SDK's initialize-era client
// (2025-11-25) and the v2 SDK's 2026-07-28 client — over stdio (the built binary) and Streamable
// HTTP, stateful and --stateless: one server, one endpoint, both eras.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { connectEraClient, ERAS, type Era, type EraClient, type Progress } from "../helpers/era-clients.js";
import { type HttpHarness, startHttpHarness } from "../helpers/http-sessions.js";

const cli = path.resolve("dist/cli.js");
const TOOL_ORDER = [
  "list_files",
  "list_machine_content",
  "read_file",
  "find_files",
  "storage_usage",
  "upload_file",
  "create_upload_link",
  "complete_upload",
  "create_directory",
  "download_files",
  "download_task_bundle",
  "get_download",
  "cancel_download",
  "delete_file",
  "delete_files",
];

const textOf = (result: { content: unknown }) =>
  (result.content as Array<{ type: string; text?: string }>)
    .filter((item) => item.type === "text")
    .map((item) => item.text)
    .join("\n");

type TransportName = "stdio" | "http" | "http --stateless";

for (const transportName of ["stdio", "http", "http --stateless"] as TransportName[]) {
  describe.each(ERAS)(`README stories over ${transportName}, protocol %s`, (era: Era) => {
    let sandbox: Sandbox | undefined;
    let harness: HttpHarness | undefined;
    let root: string;
    let client: EraClient;
    // An initialize-era client can't be asked on a stateless replica (no session carries the
    // question, and the replica never saw its capabilities or roots): SPEC §5 refuses its deletes
    // (tested with the stateless deletes) and its local paths (below).
    const canBeAsked = !(transportName === "http --stateless" && era === "2025-11-25");

    beforeAll(async () => {
      if (transportName === "stdio") {
        await fs.access(cli); // `npm test` builds before vitest runs.
        root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "vagon-eras-")));
        client = await connectEraClient(
          era,
          { kind: "stdio", command: process.execPath, args: [cli, "--sandbox", "--root", root] },
          { elicitation: canBeAsked },
        );
      } else {
        sandbox = await startSandbox();
        harness = await startHttpHarness(sandbox, {
          http: { stateless: transportName === "http --stateless" },
        });
        root = harness.root;
        client = await connectEraClient(
          era,
          { kind: "http", url: harness.server.url },
          { elicitation: canBeAsked },
        );
      }
    });

    afterAll(async () => {
      await client?.close();
      await harness?.close();
      await sandbox?.close();
      if (transportName === "stdio") await fs.rm(root, { recursive: true, force: true });
    });

    it("speaks the era it was asked for and lists the tools in one fixed order, lean", async () => {
      expect(client.protocolVersion()).toBe(era);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(TOOL_ORDER);
      expect(JSON.stringify(tools)).not.toContain("$schema");
      expect(JSON.stringify(tools)).not.toContain(String(Number.MAX_SAFE_INTEGER));
      // Each era's JSON Schema dialect: 2020-12 tuples for 2026-07-28; draft-07 (as the v1 SDK
      // served, and its hosts validate) for the initialize era.
      const listFiles = JSON.stringify(tools.find((tool) => tool.name === "list_files"));
      expect(listFiles.includes("prefixItems")).toBe(era === "2026-07-28");
    });

    it("browses, finds and reads", async () => {
      const listing = await client.call("list_files", { location: "shared" });
      expect(listing.isError).toBeFalsy();
      expect(textOf(listing)).toContain("welcome.txt");
      const found = await client.call("find_files", { location: "shared", name: "welcome*" });
      expect(textOf(found)).toContain("welcome.txt");
      const read = await client.call("read_file", { file_id: SEED.sharedTextFileId });
      expect(read.isError).toBeFalsy();
      expect(textOf(read).length).toBeGreaterThan(0);
      const usage = await client.call("storage_usage", { location: "shared" });
      expect(usage.isError).toBeFalsy();
    });

    it("creates a folder, uploads into it, downloads a file to disk and the folder as a zip job with progress", async () => {
      const folder = await client.call("create_directory", { name: `eras-${era}`, location: "shared" });
      const folderId = Number(/id=(\d+)/.exec(textOf(folder))?.[1]);
      expect(folderId).toBeGreaterThan(0);
      const upload = await client.call("upload_file", {
        content: `hello from ${era}`,
        file_name: "note.txt",
        location: "shared",
        parent_id: folderId,
      });
      expect(upload.isError).toBeFalsy();
      const fileId = Number(/id=(\d+)/.exec(textOf(upload))?.[1]);
      expect(fileId).toBeGreaterThan(0);

      if (canBeAsked) {
        const single = await client.call("download_files", { file_ids: [fileId], save_to: "" });
        expect(single.isError).toBeFalsy();
        const saved = (await fs.readdir(root, { recursive: true })).find((name) => name.endsWith("note.txt"));
        expect(saved).toBeDefined();
        expect(await fs.readFile(path.join(root, saved!), "utf8")).toBe(`hello from ${era}`);
      } else {
        // SPEC §5: a stateless replica can't learn an initialize-era client's roots, so its disk
        // stays closed and the answer names the ways out; the link works.
        const refused = await client.call("download_files", { file_ids: [fileId], save_to: "" });
        expect(textOf(refused)).toContain("stateless");
        const link = await client.call("download_files", { file_ids: [fileId] });
        expect(link.isError).toBeFalsy();
        expect(textOf(link)).toContain("note.txt");
      }

      const progress: Progress[] = [];
      const zip = await client.call(
        "download_files",
        canBeAsked
          ? { directory_id: folderId, save_to: `zip-${era}`, extract: true }
          : { directory_id: folderId },
        (step) => progress.push(step),
      );
      expect(zip.isError).toBeFalsy();
      let text = textOf(zip);
      const downloadId = /download_id[=: "]+(\d+)/.exec(text)?.[1];
      if (/processing/i.test(text) && downloadId) {
        text = textOf(
          await client.call("get_download", {
            download_id: Number(downloadId),
            save_to: `zip-${era}`,
            extract: true,
          }),
        );
      }
      expect(text).not.toMatch(/processing/i);
      expect(progress.length).toBeGreaterThan(0);
      const progressValues = progress.map((step) => step.progress);
      expect(progressValues).toEqual([...progressValues].sort((a, b) => a - b));
    });

    if (!canBeAsked) {
      it("refuses a delete it can't ask about, naming the ways out, and deletes nothing", async () => {
        const upload = await client.call("upload_file", {
          content: "keep me",
          file_name: `kept-${era}.txt`,
          location: "shared",
        });
        const fileId = Number(/id=(\d+)/.exec(textOf(upload))?.[1]);
        const refused = await client.call("delete_file", { file_id: fileId });
        expect(refused.isError).toBe(true);
        expect(textOf(refused)).toMatch(/^Nothing was deleted: this server runs stateless/);
        expect(textOf(refused)).toMatch(/--allow-unconfirmed-deletes/);
        expect(client.asked).toEqual([]);
        expect(textOf(await client.call("list_files", { location: "shared" }))).toContain(`kept-${era}.txt`);
      });
    }

    if (canBeAsked) {
      it("deletes one item only after the user confirms, and keeps it when they decline", async () => {
        const upload = await client.call("upload_file", {
          content: "delete me",
          file_name: `doomed-${era}.txt`,
          location: "shared",
        });
        const fileId = Number(/id=(\d+)/.exec(textOf(upload))?.[1]);
        client.answer(false);
        const declined = await client.call("delete_file", { file_id: fileId });
        expect(textOf(declined)).toContain("Not deleted");
        expect(client.asked.at(-1)).toContain(`doomed-${era}.txt`);
        expect(textOf(await client.call("list_files", { location: "shared" }))).toContain(
          `doomed-${era}.txt`,
        );
        client.answer(true);
        const deleted = await client.call("delete_file", { file_id: fileId });
        expect(deleted.isError).toBeFalsy();
        expect(deleted.structuredContent).toMatchObject({ file_id: fileId, deleted: true });
        expect(textOf(await client.call("list_files", { location: "shared" }))).not.toContain(
          `doomed-${era}.txt`,
        );
      });
    }

    if (canBeAsked) {
      it("deletes a previewed set after the user confirms the count, bytes and names", async () => {
        const ids: number[] = [];
        for (const name of ["a", "b"]) {
          const upload = await client.call("upload_file", {
            content: `set ${name}`,
            file_name: `set-${era}-${name}.txt`,
            location: "shared",
          });
          ids.push(Number(/id=(\d+)/.exec(textOf(upload))?.[1]));
        }
        const preview = await client.call("delete_files", { file_ids: ids });
        const planId = (preview.structuredContent as { plan_id?: string }).plan_id;
        expect(planId).toBeTruthy();
        const asked = client.asked.length;
        const done = await client.call("delete_files", { file_ids: ids, confirm: planId });
        expect(done.isError).toBeFalsy();
        expect(client.asked.length).toBe(asked + 1);
        expect(client.asked.at(-1)).toMatch(
          new RegExp(`Delete 2 items \\(\\d+ bytes\\).*set-${era}-a\\.txt`),
        );
        expect((done.structuredContent as { deleted?: number }).deleted).toBe(2);
      });
    }

    it("reads resources and offers the prompts", async () => {
      const { resources } = await client.listResources();
      expect(resources.map((resource) => resource.uri)).toContain("vagon://shared/0");
      const file = await client.readResource(`vagon://files/${SEED.sharedTextFileId}`);
      expect(file.contents[0]?.text ?? file.contents[0]?.blob).toBeTruthy();
      await expect(client.readResource("vagon://files/999999")).rejects.toMatchObject({ code: -32602 });
      const { prompts } = await client.listPrompts();
      expect(prompts.map((prompt) => prompt.name)).toContain("fetch-task-outputs");
      const prompt = await client.getPrompt("fetch-task-outputs", { task_id: String(SEED.taskId) });
      expect(JSON.stringify(prompt.messages)).toContain("download_task_bundle");
    });
  });
}
