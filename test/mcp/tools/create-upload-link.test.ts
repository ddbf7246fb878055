// create_upload_link + complete_upload: a client whose disk the server can't see runs the
// commands it was handed (with the real curl) and completes the upload with the ETags.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { toolText, useHarness } from "../../helpers/harness.js";
import { findSystemBinary } from "../../helpers/system-binary.js";

const run = promisify(execFile);
const hasCurl = findSystemBinary("curl", "upload-link commands run with curl") !== null;

interface LinkResult {
  file_id: number;
  parts: { part: number; url: string; offset: number; length: number }[];
  expires_at: string | null;
}

const { harness, sandbox } = useHarness();

/** The shell lines of the link's text, from `FILE=` to the last part command. */
function scriptOf(text: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.startsWith("FILE="));
  const end = lines.findIndex((line) => line.startsWith("Then call complete_upload"));
  return lines.slice(start, end).join("\n");
}

/** Runs the handed-out commands exactly as given, in the file's folder; returns the ETags printed. */
async function runCommands(text: string, folder: string): Promise<string[]> {
  const { stdout } = await run("sh", ["-ec", scriptOf(text)], { cwd: folder, maxBuffer: 1024 * 1024 });
  return stdout.split("\n").filter(Boolean);
}

async function createLink(args: Record<string, unknown>): Promise<{ link: LinkResult; text: string }> {
  const result = await harness.callTool("create_upload_link", args);
  expect(result.isError, toolText(result)).toBeFalsy();
  return { link: result.structuredContent as unknown as LinkResult, text: toolText(result) };
}

async function localFile(name: string, bytes: Buffer): Promise<string> {
  const folder = await fs.mkdtemp(path.join(harness.workDir, "client-"));
  await fs.writeFile(path.join(folder, name), bytes);
  return folder;
}

describe.skipIf(!hasCurl)("create_upload_link and complete_upload", () => {
  it("hands out commands that curl runs as given, and the completed file is byte-identical", async () => {
    const bytes = randomBytes(11 * 1024 * 1024 + 3);
    const folder = await localFile("take 1's.mov", bytes);
    const { link, text } = await createLink({
      file_name: "take 1's.mov",
      size: bytes.length,
      chunk_size_mb: 5,
    });
    expect(link.parts.map(({ part, offset, length }) => ({ part, offset, length }))).toEqual([
      { part: 1, offset: 0, length: 5 * 1024 * 1024 },
      { part: 2, offset: 5 * 1024 * 1024, length: 5 * 1024 * 1024 },
      { part: 3, offset: 10 * 1024 * 1024, length: 1024 * 1024 + 3 },
    ]);
    expect(Date.parse(link.expires_at ?? "")).toBeGreaterThan(Date.now());
    expect(text).toMatch(/delete_file with file_id=\d+/);
    expect(sandbox.getEntry(link.file_id)?.status).toBe("pending_upload");

    sandbox.clearRequests();
    const etags = await runCommands(text, folder);
    expect(etags).toHaveLength(3);
    expect(sandbox.requests.filter((request) => request.route === "s3-put").map((r) => r.status)).toEqual([
      200, 200, 200,
    ]);

    const completed = await harness.callTool("complete_upload", { file_id: link.file_id, etags });
    expect(completed.isError, toolText(completed)).toBeFalsy();
    expect(sandbox.getEntry(link.file_id)?.status).toBe("upload_completed");
    expect((await sandbox.readFile(link.file_id)).equals(bytes)).toBe(true);
  });

  it("a streamed (chunked) PUT, which the commands avoid, is refused as S3 does", async () => {
    const folder = await localFile("chunked.bin", randomBytes(1000));
    const { link } = await createLink({ file_name: "chunked.bin", size: 1000 });
    const { stdout } = await run(
      "sh",
      ["-c", `cat chunked.bin | curl -sS -o /dev/null -w '%{http_code}' -T - '${link.parts[0]!.url}'`],
      { cwd: folder },
    );
    expect(stdout).toBe("501");
  });

  it("checks the ETags before calling Vagon, and says what became of the entry when Vagon refuses one", async () => {
    const bytes = randomBytes(6 * 1024 * 1024);
    const folder = await localFile("two-parts.bin", bytes);
    const { link, text } = await createLink({
      file_name: "two-parts.bin",
      size: bytes.length,
      chunk_size_mb: 5,
    });
    const etags = await runCommands(text, folder);

    sandbox.clearRequests();
    const tooFew = await harness.callTool("complete_upload", { file_id: link.file_id, etags: [etags[0]] });
    expect(tooFew.isError).toBe(true);
    expect(toolText(tooFew)).toMatch(/has 2 parts, but 1 ETag was given/);
    const garbled = await harness.callTool("complete_upload", {
      file_id: link.file_id,
      etags: [etags[0], "ETag: <oops>"],
    });
    expect(toolText(garbled)).toMatch(/ETag 2 .* is not an ETag/);
    expect(sandbox.requests.filter((request) => request.route === "complete")).toEqual([]);

    // Swapped: well-formed, so only Vagon can tell; the entry stays, waiting.
    const swapped = await harness.callTool("complete_upload", {
      file_id: link.file_id,
      etags: [etags[1], etags[0]],
    });
    expect(swapped.isError).toBe(true);
    expect(toolText(swapped)).toMatch(
      /ETag given for part 1 is not the one S3 returned for part 1.*in part order.*still there.*delete_file file_id=/s,
    );
    // The quotes are already put back by the tool: that advice would send the agent nowhere.
    expect(toolText(swapped)).not.toMatch(/quotes/);
    expect(sandbox.getEntry(link.file_id)).toMatchObject({ status: "pending_upload", deleted: false });

    // Unquoted, as some tools print them: the quotes are put back.
    const bare = etags.map((etag) => etag.replaceAll('"', ""));
    const completed = await harness.callTool("complete_upload", { file_id: link.file_id, etags: bare });
    expect(completed.isError, toolText(completed)).toBeFalsy();
    expect((await sandbox.readFile(link.file_id)).equals(bytes)).toBe(true);
  });

  it("explains a size mismatch (452): Vagon deleted the entry, start again", async () => {
    const bytes = randomBytes(4000);
    const folder = await localFile("short.bin", bytes);
    // Declared 10 bytes longer than the file: the last range comes up short.
    const { link, text } = await createLink({ file_name: "short.bin", size: bytes.length + 10 });
    const etags = await runCommands(text, folder);
    const result = await harness.callTool("complete_upload", { file_id: link.file_id, etags });
    expect(result.isError).toBe(true);
    expect(toolText(result)).toMatch(/don't add up.*no longer exists.*create_upload_link/s);
    expect(sandbox.getEntry(link.file_id)?.deleted).toBe(true);
  });
});

describe("create_upload_link's answer pasted whole into a shell", () => {
  it.each([
    "x; touch PWNED; #.bin",
    "$(touch PWNED).bin",
    "`touch PWNED`.bin",
    "it's; touch PWNED; #.bin",
    'a"; touch PWNED; #.bin',
  ])("runs nothing a file name carries: %j", async (fileName) => {
    const { text } = await createLink({ file_name: fileName, size: 12 });
    const folder = await fs.mkdtemp(path.join(harness.workDir, "paste-"));
    // The shell may stop at the prose (a syntax error): what matters is what ran before.
    await run("sh", ["-c", text], { cwd: folder }).catch(() => {});
    expect(await fs.readdir(folder)).toEqual([]);
  });
});
