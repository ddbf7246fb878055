// The MCP Apps views in a real browser: headless Chromium embeds each view the way a host does
// (ext-apps' AppBridge over postMessage, sandboxed iframe) and the view talks to the real server
// on the real sandbox. Asserts are on the view's DOM; screenshots go to $VIEW_SCREENSHOTS
// (UPDATE_SCREENSHOTS=1: docs/views/, the README's pictures).
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from "@modelcontextprotocol/ext-apps/server";
import type { Frame } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildViews } from "../../../scripts/build-views.mjs";
import { packageFile } from "../../../src/config.js";
import { VIEW_MIME_TYPE, VIEWS, viewToolMeta } from "../../../src/mcp/kit/views.js";
import { SEED } from "../../../src/sandbox/index.js";
import { toolText, useHarness } from "../../helpers/harness.js";
import { withRecords } from "../../helpers/tables.js";
import { CHROMIUM_INSTALL, CHROMIUM_PATH, startViewHost, type ViewHost } from "./view-host.js";

const HOSTILE_NAME = "<img src=x onerror=alert(1)>";
const SCREENSHOTS =
  process.env.VIEW_SCREENSHOTS ??
  (process.env.UPDATE_SCREENSHOTS
    ? path.resolve("docs/views")
    : path.join(os.tmpdir(), "vagon-view-screenshots"));

// The server reads dist/views/; build it from the sources under test.
beforeAll(async () => {
  await buildViews(fileURLToPath(packageFile("dist/views")));
});

describe("view registration", () => {
  const { harness } = useHarness();

  it("uses ext-apps' MIME type and both _meta keys hosts read", () => {
    expect(VIEW_MIME_TYPE).toBe(RESOURCE_MIME_TYPE);
    expect(viewToolMeta("browser")).toEqual({
      ui: { resourceUri: "ui://vagon/browser" },
      [RESOURCE_URI_META_KEY]: "ui://vagon/browser",
    });
  });

  it("serves every view as one self-contained HTML file that may load nothing", async () => {
    const { resources } = await harness.mcp.listResources();
    for (const view of Object.keys(VIEWS)) {
      const uri = `ui://vagon/${view}`;
      expect(resources.find((resource) => resource.uri === uri)?.mimeType).toBe(RESOURCE_MIME_TYPE);
      const { contents } = await harness.mcp.readResource({ uri });
      const content = contents[0] as { text: string; mimeType: string; _meta?: { ui?: { csp?: object } } };
      expect(content.mimeType).toBe(RESOURCE_MIME_TYPE);
      expect(content._meta?.ui?.csp).toEqual({ connectDomains: [], resourceDomains: [] });
      expect(content.text).toContain(`content="default-src 'none';`);
      // Inline only: no src= or href= pointing anywhere.
      expect(content.text).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
      // Nothing in the bundle (ours or the libraries') parses strings as markup.
      expect(content.text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    }
    const { tools } = await harness.mcp.listTools();
    expect(tools.find((tool) => tool.name === "list_files")?._meta).toEqual(viewToolMeta("browser"));
  });
});

describe.skipIf(!CHROMIUM_PATH)(
  `views in headless Chromium${CHROMIUM_PATH ? "" : ` (SKIPPED: ${CHROMIUM_INSTALL})`}`,
  () => {
    const { harness, sandbox } = useHarness();
    let host: ViewHost;

    beforeAll(async () => {
      await sandbox.addFile({ parentId: 0, name: HOSTILE_NAME, content: "x", contentType: "text/plain" });
      host = await startViewHost(harness.mcp);
    });

    afterAll(async () => {
      await host?.close();
    });

    /** Tools from other issues may not be on this branch yet: such a test says so and skips. */
    const needsTool = (tool: string, skip: (note?: string) => void) => {
      if (host.viewOf.has(tool)) return;
      console.warn(`!! SKIPPED: ${tool} is not registered on this branch, so its view can't be shown.`);
      skip(`${tool} is not registered`);
    };

    const rowNames = (frame: Frame) =>
      frame.$$eval("tbody tr td.name", (cells) => cells.map((cell) => cell.firstChild?.textContent ?? ""));

    describe("folder browser (list_files)", () => {
      it("lists the seeded shared folder and opens a sub-folder in place", async () => {
        const { frame } = await host.mount("list_files", { location: "shared" });
        const names = await rowNames(frame);
        const seeded = sandbox
          .children(0)
          .map((entry) => (entry.kind === "directory" ? `${entry.name}/` : entry.name));
        expect(names.sort()).toEqual(seeded.sort());

        await frame.getByRole("button", { name: "Project Folder/" }).click();
        await frame.waitForSelector("nav .crumb.current");
        expect(await frame.textContent("nav .crumb.current")).toBe("Project Folder");
        const inside = sandbox
          .children(SEED.projectFolderId)
          .map((entry) => (entry.kind === "directory" ? `${entry.name}/` : entry.name));
        await expect.poll(async () => (await rowNames(frame)).sort()).toEqual(inside.sort());
      });

      it("sorts rows by size, biggest first, then smallest first", async () => {
        const { frame } = await host.mount("list_files", { location: "shared" });
        const fileSizes = () =>
          frame.$$eval('tbody tr[data-kind="file"] td.num', (cells) =>
            cells.map((cell) => Number(cell.getAttribute("data-bytes"))),
          );
        await frame.click('button[data-sort="size"]');
        await frame.waitForSelector('th[aria-sort="descending"] button[data-sort="size"]');
        const descending = await fileSizes();
        expect(descending.length).toBeGreaterThan(2);
        expect(descending).toEqual([...descending].sort((a, b) => b - a));
        await frame.click('button[data-sort="size"]');
        await frame.waitForSelector('th[aria-sort="ascending"] button[data-sort="size"]');
        expect(await fileSizes()).toEqual([...descending].sort((a, b) => a - b));
      });

      it("fetches the next page on More and keeps the rows it had", async () => {
        const folderId = sandbox.addDirectory({ parentId: 0, name: "Frames" });
        for (let index = 0; index < 25; index += 1) {
          await sandbox.addFile({
            parentId: folderId,
            name: `frame-${String(index).padStart(3, "0")}.txt`,
            content: "f",
          });
        }
        const { frame } = await host.mount("list_files", { parent_id: folderId, page: 1, per_page: 10 });
        expect(await rowNames(frame)).toHaveLength(10);
        expect(await frame.textContent(".footer .muted")).toBe("10 of 25 shown");
        await frame.click("button.more");
        await frame.waitForFunction(
          () => document.querySelector(".footer .muted")?.textContent === "20 of 25 shown",
        );
        await frame.click("button.more");
        await frame.waitForFunction(
          () => document.querySelector(".footer .muted")?.textContent === "25 of 25 shown",
        );
        const names = await rowNames(frame);
        expect(names).toEqual(
          Array.from({ length: 25 }, (_, index) => `frame-${String(index).padStart(3, "0")}.txt`),
        );
        expect(await frame.$("button.more")).toBeNull();
      });

      it("keeps the model's query on the next pages of its listing", async () => {
        const folderId = sandbox.addDirectory({ parentId: 0, name: "Queried" });
        for (let index = 0; index < 12; index += 1) {
          await sandbox.addFile({
            parentId: folderId,
            name: `${index % 2 ? "shot" : "take"}-${index}.txt`,
            content: "q",
          });
        }
        const { frame } = await host.mount("list_files", {
          parent_id: folderId,
          query: "shot",
          page: 1,
          per_page: 4,
        });
        expect(await frame.textContent(".footer .muted")).toBe("4 of 6 shown");
        await frame.click("button.more");
        await frame.waitForFunction(
          () => document.querySelector(".footer .muted")?.textContent === "6 of 6 shown",
        );
        const names = await rowNames(frame);
        expect(names).toHaveLength(6);
        expect(names.every((name) => name.startsWith("shot-"))).toBe(true);
      });

      it("follows the host's theme and colours", async () => {
        const { frame } = await host.mount("list_files", { location: "shared" }, "dark");
        const look = await frame.evaluate(() => ({
          theme: document.documentElement.getAttribute("data-theme"),
          background: getComputedStyle(document.body).backgroundColor,
          link: getComputedStyle(document.querySelector("button.folder")!).color,
        }));
        expect(look.theme).toBe("dark");
        // The host's --color-text-info (host.ts sends #7cb3ff for dark) colours the folder links.
        expect(look.link).toBe("rgb(124, 179, 255)");
        const [red, green, blue] = look.background.match(/\d+/g)!.map(Number);
        expect(red! + green! + blue!).toBeLessThan(3 * 64);
      });

      it("shows a file named like markup as text, and runs none of it", async () => {
        const { frame } = await host.mount("list_files", { location: "shared" });
        expect(await rowNames(frame)).toContain(HOSTILE_NAME);
        expect(await frame.$$eval("img", (images) => images.length)).toBe(0);
        expect(host.dialogs).toEqual([]);
      });
    });

    describe("folder browser (find_files)", () => {
      it("shows the matches with their paths", async ({ skip }) => {
        needsTool("find_files", skip);
        const { frame, result } = await host.mount("find_files", { name: "*.png" });
        const matches = withRecords<{ matches: { name: string; path: string }[] }>(
          result.structuredContent,
        ).matches;
        expect(matches.length).toBeGreaterThan(0);
        expect((await rowNames(frame)).sort()).toEqual(matches.map((match) => match.name).sort());
        const paths = await frame.$$eval("td.name .muted", (cells) => cells.map((cell) => cell.textContent));
        expect(paths.sort()).toEqual(matches.map((match) => match.path).sort());
      });
    });

    describe("storage chart (storage_usage)", () => {
      it("draws every level asked for: top-level bars add up to the total, each folder's sub-folders under it", async ({
        skip,
      }) => {
        needsTool("storage_usage", skip);
        const { frame, result } = await host.mount("storage_usage", { location: "shared", depth: 2, top: 5 });
        const usage = withRecords<{
          total_bytes: number;
          breakdown: { id: number; name: string; path: string; bytes: number }[];
          biggest_files: { id: number }[];
        }>(result.structuredContent);
        expect(Number(await frame.getAttribute(".total", "data-bytes"))).toBe(usage.total_bytes);
        const bars = await frame.$$eval(".bar-row", (rows) =>
          rows.map((row) => ({
            name: row.querySelector(".bar-name")?.textContent ?? "",
            bytes: Number(row.getAttribute("data-bytes")),
            level: Number(row.getAttribute("data-level")),
          })),
        );
        const topLevel = bars.filter((bar) => bar.level === 1);
        expect(topLevel.reduce((sum, bar) => sum + bar.bytes, 0)).toBe(usage.total_bytes);
        // A bar per breakdown row, at its level: the second level is drawn too.
        const levelOf = (row: { path: string }) => row.path.split("/").filter(Boolean).length;
        const shallowest = Math.min(...usage.breakdown.map(levelOf));
        expect(usage.breakdown.some((row) => levelOf(row) === shallowest + 1)).toBe(true);
        for (const row of usage.breakdown) {
          expect(bars).toContainEqual({
            name: row.name,
            bytes: row.bytes,
            level: levelOf(row) - shallowest + 1,
          });
        }
        // Each second-level bar follows its own folder's bar.
        const renders = bars.findIndex((bar) => bar.name === "Renders" && bar.level === 1);
        expect(bars[renders + 1]).toMatchObject({ level: 2 });
        expect(await frame.$$eval("table.biggest tr", (rows) => rows.length)).toBe(
          usage.biggest_files.length,
        );
      });
    });

    describe("delete preview (delete_files)", () => {
      it("deletes exactly the previewed set on the click, and nothing before it", async ({ skip }) => {
        needsTool("delete_files", skip);
        const folderId = sandbox.addDirectory({ parentId: 0, name: "Scratch" });
        const doomed = [
          await sandbox.addFile({ parentId: folderId, name: "render-1.tmp", content: "a".repeat(1000) }),
          await sandbox.addFile({ parentId: folderId, name: "render-2.tmp", content: "b".repeat(3000) }),
          await sandbox.addFile({
            parentId: folderId,
            name: "<img src=y onerror=alert(2)>.tmp",
            content: "c",
          }),
        ];
        const kept = await sandbox.addFile({ parentId: folderId, name: "keep.txt", content: "keep" });
        const { frame, result } = await host.mount("delete_files", { parent_id: folderId, name: "*.tmp" });
        expect(result.structuredContent).toMatchObject({ status: "preview", count: 3, bytes: 4001 });

        const previewedIds = await frame.$$eval("table.items tbody tr", (rows) =>
          rows.map((row) => Number(row.getAttribute("data-id"))),
        );
        expect(previewedIds.sort()).toEqual([...doomed].sort());
        expect(await rowNames(frame)).toContain("<img src=y onerror=alert(2)>.tmp");
        expect(Number(await frame.getAttribute(".summary .total", "data-bytes"))).toBe(4001);
        // Shown is not consented: everything is still there.
        expect(sandbox.children(folderId)).toHaveLength(4);

        await frame.click('button[data-action="confirm"]');
        await frame.waitForSelector('[data-status="deleted"]');
        expect(await frame.textContent(".summary .deleted")).toBe("3 deleted");
        expect(sandbox.children(folderId).map((entry) => entry.id)).toEqual([kept]);
        expect(await frame.$('button[data-action="confirm"]')).toBeNull();
        expect(host.dialogs).toEqual([]);
      });
    });

    describe("delete preview by date", () => {
      it("shows each item's date when the preview was chosen by age", async ({ skip }) => {
        needsTool("delete_files", skip);
        const { frame, result } = await host.mount("delete_files", {
          location: "recordings",
          kind: "directory",
          max_depth: 0,
          modified_before: "30d",
        });
        const items = withRecords<{ items: { id: number; modified: string }[] }>(
          result.structuredContent,
        ).items;
        expect(items.length).toBeGreaterThan(0);
        const shown = await frame.$$eval("table.items tbody tr", (rows) =>
          rows.map((row) => ({
            id: Number(row.getAttribute("data-id")),
            modified: row.querySelector("td.date")?.getAttribute("data-modified") ?? "",
            date: row.querySelector("td.date")?.textContent ?? "",
          })),
        );
        expect(shown.map((row) => row.id)).toEqual(items.map((item) => item.id));
        for (const [index, row] of shown.entries()) {
          expect(row.modified).toBe(items[index]!.modified);
          expect(row.date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
        }
        expect(await frame.textContent("thead")).toContain("Modified");
      });
    });

    describe("a failed call", () => {
      it("shows the tool's own error in every view, not an empty table", async () => {
        const calls: Array<[string, Record<string, unknown>]> = [
          ["list_files", { parent_id: 987654 }],
          ["find_files", { parent_id: 987654, name: "*.png" }],
          ["storage_usage", { parent_id: 987654 }],
          ["delete_files", { parent_id: 987654, name: "*.tmp" }],
          ["read_file", { file_id: 987654 }],
        ];
        for (const [tool, args] of calls) {
          if (!host.viewOf.get(tool)) continue;
          const { frame, result } = await host.mount(tool, args);
          expect(result.isError, tool).toBe(true);
          const error = (result.content[0] as { text: string }).text;
          expect(await frame.textContent(".error"), tool).toBe(error);
          expect(await frame.$("table"), tool).toBeNull();
        }
      });
    });

    describe("gallery (read_file)", () => {
      const dataUrlBytes = (url: string | null) =>
        Buffer.from((url ?? "").replace(/^data:image\/png;base64,/, ""), "base64");

      it("shows the seeded PNG read_file returned, with its exact bytes", async ({ skip }) => {
        needsTool("read_file", skip);
        const { frame } = await host.mount("read_file", { file_id: SEED.sharedImageFileId });
        const image = await frame.waitForSelector("img.large");
        expect(dataUrlBytes(await image.getAttribute("src"))).toEqual(
          await sandbox.readFile(SEED.sharedImageFileId),
        );
        // Decoded, not just carried: the browser drew a 32×32 picture.
        expect(await image.evaluate((element) => (element as HTMLImageElement).naturalWidth)).toBe(32);
      });

      it("shows a text read's text under its header line", async ({ skip }) => {
        needsTool("read_file", skip);
        const { frame, result } = await host.mount("read_file", { file_id: SEED.sharedTextFileId });
        const text = (result.structuredContent as { text: string }).text;
        expect(text.length).toBeGreaterThan(0);
        expect(await frame.textContent("pre.text")).toBe(text);
        expect(await frame.textContent(".summary")).toBe(toolText(result).split("\n")[0]);
      });

      it("shows grep's matching lines with their numbers and context", async ({ skip }) => {
        needsTool("read_file", skip);
        const logId = SEED.recentSessionFolderIds[0] + 2;
        const { frame, result } = await host.mount("read_file", {
          file_id: logId,
          grep: "recording",
          context: 1,
        });
        const matches = (result.structuredContent as { matches: { line: number; text: string }[] }).matches;
        expect(matches.length).toBeGreaterThan(0);
        const shown = await frame.$$eval("pre.matches .match", (lines) =>
          lines.map((line) => ({
            line: Number(line.getAttribute("data-line")),
            text: line.textContent ?? "",
          })),
        );
        expect(shown).toEqual(
          matches.map((match) => ({ line: match.line, text: `${match.line}: ${match.text}` })),
        );
        expect(await frame.$$eval("pre.matches .context", (lines) => lines.length)).toBeGreaterThan(0);
        expect(await frame.textContent(".summary")).toMatch(/matching line/);
      });

      it("turns a folder's images into thumbnails fetched through read_file, larger on click", async ({
        skip,
      }) => {
        needsTool("read_file", skip);
        const { frame } = await host.mount("list_files", { location: "shared" });
        await frame.getByRole("button", { name: /^Gallery/ }).click();
        const thumbnail = await frame.waitForSelector(`img.thumb[data-id="${SEED.sharedImageFileId}"]`);
        const bytes = await sandbox.readFile(SEED.sharedImageFileId);
        expect(dataUrlBytes(await thumbnail.getAttribute("src"))).toEqual(bytes);
        await frame.click(`button.tile[data-id="${SEED.sharedImageFileId}"]`);
        const enlarged = await frame.waitForSelector(".overlay:not([hidden]) .enlarged img");
        expect(dataUrlBytes(await enlarged.getAttribute("src"))).toEqual(bytes);
      });
    });

    describe("file actions", () => {
      it("gets a file's download link through download_files and asks the host to open it", async () => {
        const { frame } = await host.mount("list_files", { location: "shared" });
        await frame.click(`tr[data-id="${SEED.sharedTextFileId}"] button:has-text("Link")`);
        const url = await (await frame.waitForSelector(".detail .mono")).textContent();
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
        const response = await fetch(url!);
        expect(Buffer.from(await response.arrayBuffer())).toEqual(
          await sandbox.readFile(SEED.sharedTextFileId),
        );
        await frame.click('.detail button:has-text("Open link")');
        await host.page.waitForFunction((expected) => window.openedLinks.includes(expected), url!);
      });

      it("reads a text file in place through read_file", async ({ skip }) => {
        needsTool("read_file", skip);
        const { frame } = await host.mount("list_files", { location: "shared" });
        await frame.click(`tr[data-id="${SEED.sharedTextFileId}"] button:has-text("Read")`);
        const shown = await (await frame.waitForSelector(".detail pre")).textContent();
        // read_file hands back lines: the file's last newline is not one of them.
        expect(shown).toBe((await sandbox.readFile(SEED.sharedTextFileId)).toString("utf8").trimEnd());
      });
    });
  },
);

// README's pictures show the seed's own organization (no test fixtures: the hostile names above
// live in the other suite's sandbox). UPDATE_SCREENSHOTS=1 writes them to docs/views/.
describe.skipIf(!CHROMIUM_PATH)("README screenshots, from the seeded sandbox", () => {
  const { harness } = useHarness();
  let host: ViewHost;

  beforeAll(async () => {
    host = await startViewHost(harness.mcp);
  });

  afterAll(async () => {
    await host?.close();
  });

  it("shows only the seed's names in every picture", async () => {
    const shots: Array<[string, string, Record<string, unknown>]> = [
      ["browser.png", "list_files", { location: "shared" }],
      ["usage.png", "storage_usage", { location: "shared", depth: 2, top: 5 }],
      ["gallery.png", "read_file", { file_id: SEED.sharedImageFileId }],
      [
        "gallery-grep.png",
        "read_file",
        { file_id: SEED.oldSessionFolderIds[0] + 2, grep: "recording", context: 1 },
      ],
      [
        "delete-preview.png",
        "delete_files",
        { location: "recordings", kind: "directory", max_depth: 0, modified_before: "30d" },
      ],
    ];
    for (const [file, tool, args] of shots) {
      if (!host.viewOf.get(tool)) continue;
      const { frame } = await host.mount(tool, args);
      const shown = (await frame.textContent("#app")) ?? "";
      expect(shown, file).not.toMatch(/<img|onerror|alert\(/);
      await host.screenshot(path.join(SCREENSHOTS, file));
      if (file === "delete-preview.png") {
        await frame.click('button[data-action="confirm"]');
        await frame.waitForSelector('[data-status="deleted"]');
        await host.screenshot(path.join(SCREENSHOTS, "delete-result.png"));
      }
    }
  });
});
