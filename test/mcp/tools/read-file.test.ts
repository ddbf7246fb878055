// An agent checking a task's outputs in place with read_file: the head, tail and a byte range of
// a multi-MB log costing kilobytes at the storage, grep with line numbers and context, a hostile
// pattern that can't stall the server, a truncated body resumed, an expired link refreshed, an
// image shown byte for byte, zips listed from their central directory and one member read.
import type { CallToolResult, ImageContent } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yazl from "yazl";
import { OUTPUT_BUDGET_TOKENS, resultTokens } from "../../../src/mcp/kit/budget.js";
import { type Sandbox, SEED, startSandbox } from "../../../src/sandbox/index.js";
import { patternBytes } from "../../hardening/fixtures.js";
import { countTokens } from "../../helpers/claude-tokens.js";
import { type Harness, startHarness, toolText, useHarness } from "../../helpers/harness.js";
import { withRecords } from "../../helpers/tables.js";

interface ReadResult {
  id: number;
  name: string;
  size: number;
  kind: "text" | "image" | "zip" | "binary";
  range?: { start: number; end: number };
  eof?: boolean;
  truncated?: boolean;
  text?: string;
  matches?: { line: number; text: string; before?: string[]; after?: string[] }[];
  scanned_bytes?: number;
  complete?: boolean;
  entries?: { path: string; size: number; compressed_size: number; modified: string; unreadable?: string }[];
  total_entries?: number;
  note?: string;
  entry?: string;
}

const KIB = 1024;

function resultOf(result: CallToolResult): ReadResult {
  expect(result.isError, toolText(result)).toBeFalsy();
  return withRecords<ReadResult>(result.structuredContent);
}

/** A believable render log: numbered lines (60,000 are ~3.5 MB), an ERROR every 7,001st line. */
function renderLog(lineCount: number): { bytes: Buffer; lines: string[] } {
  const lines: string[] = [];
  for (let index = 1; index <= lineCount; index++) {
    const level = index % 7001 === 0 ? "ERROR" : "INFO";
    lines.push(
      `2026-12-01T10:${String(Math.floor(index / 1000) % 60).padStart(2, "0")}:00Z [${level}] frame ${index} rendered in ${(index * 37) % 900} ms`,
    );
  }
  return { bytes: Buffer.from(`${lines.join("\n")}\n`), lines };
}

async function zipOf(
  members: { name: string; content: Buffer | string; compress?: boolean; zip64?: boolean }[],
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const member of members) {
    zip.addBuffer(Buffer.from(member.content), member.name, {
      compress: member.compress ?? true,
      forceZip64Format: member.zip64 ?? false,
      mtime: new Date("2026-11-30T12:00:00Z"),
    });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Sets the "encrypted" flag of one member in both its local and central headers. */
function markEncrypted(zip: Buffer, name: string): Buffer {
  const bytes = Buffer.from(zip);
  const nameBytes = Buffer.from(name);
  for (const [signature, flagOffset, nameOffset] of [
    [0x04034b50, 6, 30],
    [0x02014b50, 8, 46],
  ] as const) {
    const marker = Buffer.alloc(4);
    marker.writeUInt32LE(signature);
    for (let at = bytes.indexOf(marker); at !== -1; at = bytes.indexOf(marker, at + 4)) {
      if (bytes.subarray(at + nameOffset, at + nameOffset + nameBytes.length).equals(nameBytes)) {
        bytes.writeUInt16LE(bytes.readUInt16LE(at + flagOffset) | 1, at + flagOffset);
      }
    }
  }
  return bytes;
}

describe("read_file", () => {
  const { harness, sandbox } = useHarness({ clientOptions: { retryBaseDelayMs: 1 } });
  let log: { bytes: Buffer; lines: string[] };
  let logId: number;

  beforeAll(async () => {
    log = renderLog(60_000);
    logId = await sandbox.addFile({
      parentId: 0,
      name: "render.log",
      content: log.bytes,
      contentType: "text/plain",
    });
  });

  const read = (args: Record<string, unknown>) => harness.callTool("read_file", args);
  /** Runs `call` and answers the bytes the sandbox served of `fileId` meanwhile. */
  const fetchedDuring = async <T>(
    fileId: number,
    call: () => Promise<T>,
  ): Promise<{ value: T; fetched: number }> => {
    const before = sandbox.servedBytes(fileId);
    const value = await call();
    return { value, fetched: sandbox.servedBytes(fileId) - before };
  };

  /** Everything a host may hand the model, as tokens of a Claude tokenizer: both forms together. */
  const claudeTokens = (call: CallToolResult) =>
    countTokens(toolText(call)) + countTokens(JSON.stringify(call.structuredContent));

  /** A text file of `lines` as the sandbox serves it, and its id. */
  const textFile = async (name: string, lines: string[]) => {
    const bytes = Buffer.from(`${lines.join("\n")}\n`);
    return { bytes, id: await sandbox.addFile({ parentId: 0, name, content: bytes }) };
  };
  const words = "the scene loaded its textures from the project folder and the renderer began".split(" ");
  const wordsAt = (index: number, count: number, gap: string) =>
    Array.from({ length: count }, (_, k) => words[(index * 7 + k * 3) % words.length]).join(gap);

  it("answers the first 16 KiB when nothing is asked and both forms of them fit the budget, fetching only those", async () => {
    // A column-aligned report: 16 KiB of it in both forms fit the ~8,000-token default budget.
    const { bytes, id } = await textFile(
      "passes.txt",
      Array.from({ length: 2000 }, (_, index) => `pass      ${wordsAt(index, 6, "      ")}`),
    );
    const { value, fetched } = await fetchedDuring(id, () => read({ file_id: id }));
    const result = resultOf(value);
    expect(result).toMatchObject({ kind: "text", name: "passes.txt", size: bytes.length, eof: false });
    expect(Buffer.byteLength(result.text!)).toBeLessThanOrEqual(16 * KIB);
    expect(Buffer.byteLength(result.text!)).toBeGreaterThan(16 * KIB - 100);
    expect(`${result.text}\n`).toBe(bytes.subarray(0, result.range!.end).toString());
    expect(fetched).toBeLessThanOrEqual(24 * KIB);
    expect(toolText(value).split("\n")[0]).toContain(
      `cut at max_bytes=16384; more follows: offset=${result.range!.end}`,
    );
    expect(claudeTokens(value)).toBeLessThan(OUTPUT_BUDGET_TOKENS);
  });

  it("keeps a prose-like log's default read within the budget, most of its 16 KiB", async () => {
    const { bytes, id } = await textFile(
      "session.log",
      Array.from({ length: 2000 }, (_, index) => `info  ${wordsAt(index, 9, " ")}`),
    );
    const call = await read({ file_id: id });
    const result = resultOf(call);
    expect(claudeTokens(call)).toBeLessThan(OUTPUT_BUDGET_TOKENS);
    expect(Buffer.byteLength(result.text!)).toBeGreaterThan(12 * KIB);
    expect(`${result.text}\n`).toBe(bytes.subarray(0, result.range!.end).toString());
    expect(toolText(call).split("\n")[0]).toContain(`more follows: offset=${result.range!.end}`);
  });

  it("cuts a dense log's default read to the ~8,000-token budget, naming the call that goes on exactly", async () => {
    expect(log.bytes.length).toBeGreaterThan(3_000_000);
    const { value, fetched } = await fetchedDuring(logId, () => read({ file_id: logId }));
    const result = resultOf(value);
    expect(result).toMatchObject({ kind: "text", name: "render.log", size: log.bytes.length, eof: false });
    // Both forms together, as a host that shows both would pay.
    expect(claudeTokens(value)).toBeLessThan(OUTPUT_BUDGET_TOKENS);
    expect(Buffer.byteLength(result.text!)).toBeGreaterThan(8 * KIB);
    expect(`${result.text}\n`).toBe(log.bytes.subarray(0, result.range!.end).toString());
    expect(fetched).toBeLessThanOrEqual(24 * KIB);
    const header = toolText(value).split("\n")[0]!;
    expect(header).toMatch(/cut at [\d,]+ bytes to stay under the output budget of one result/);
    expect(header).not.toMatch(/raise|max_bytes/i);
    // The hint, followed as written, reads on from the next byte within the budget too.
    const offset = Number(/more follows: offset=(\d+)/.exec(header)?.[1]);
    expect(offset).toBe(result.range!.end);
    const next = await read({ file_id: logId, offset });
    expect(claudeTokens(next)).toBeLessThan(OUTPUT_BUDGET_TOKENS);
    expect(resultOf(next).range!.start).toBe(offset);
    expect(log.bytes.subarray(offset).toString().startsWith(resultOf(next).text!)).toBe(true);
    // Only max_bytes raises the budget: the first 16 KiB, as asked.
    const asked = resultOf(await read({ file_id: logId, max_bytes: 16 * KIB }));
    expect(Buffer.byteLength(asked.text!)).toBeGreaterThan(16 * KIB - 100);
  });

  it("reads the first lines with head and the last with tail, at kilobytes' cost", async () => {
    const head = await fetchedDuring(logId, () => read({ file_id: logId, head: 5 }));
    expect(resultOf(head.value).text).toBe(log.lines.slice(0, 5).join("\n"));
    expect(head.fetched).toBeLessThanOrEqual(24 * KIB);

    const tail = await fetchedDuring(logId, () => read({ file_id: logId, tail: 100 }));
    const tailResult = resultOf(tail.value);
    expect(tailResult.text).toBe(log.lines.slice(-100).join("\n"));
    expect(tailResult).toMatchObject({ eof: true, truncated: false });
    expect(tailResult.range).toEqual({
      start: log.bytes.length - Buffer.byteLength(`${log.lines.slice(-100).join("\n")}\n`),
      end: log.bytes.length,
    });
    expect(tail.fetched).toBeLessThanOrEqual(32 * KIB);
    expect(toolText(tail.value)).toContain(log.lines.at(-1));
  });

  it("fetches tail's last lines together with the bytes that classify the file, not a round trip after", async () => {
    // Slow storage (32 KiB/s a connection): the two reads take ~0.25 and ~0.5 s, so reads made
    // one after the other would never be in flight together.
    sandbox.setBandwidthCap(32 * KIB);
    try {
      const call = read({ file_id: logId, tail: 100 });
      await expect.poll(() => sandbox.readsInFlight(logId), { timeout: 5000, interval: 10 }).toBe(2);
      expect(resultOf(await call).text).toBe(log.lines.slice(-100).join("\n"));
    } finally {
      sandbox.setBandwidthCap(null);
    }
  });

  it("reads exactly offset+length bytes, and never more than max_bytes", async () => {
    const offset = 2_345_678;
    const exact = await fetchedDuring(logId, () => read({ file_id: logId, offset, length: 5000 }));
    const result = resultOf(exact.value);
    expect(result.text).toBe(log.bytes.subarray(offset, offset + 5000).toString());
    expect(result.range).toEqual({ start: offset, end: offset + 5000 });
    expect(exact.fetched).toBeLessThanOrEqual(8 * KIB + 5000);

    const capped = resultOf(await read({ file_id: logId, offset, length: 100_000, max_bytes: 2048 }));
    expect(Buffer.byteLength(capped.text!)).toBeLessThanOrEqual(2048);
    expect(capped).toMatchObject({ truncated: true, range: { start: offset, end: offset + 2048 } });
  });

  // A pattern with a literal every match holds is searched in the bytes; one without (or with
  // ignore_case) in the decoded text: both answer the same.
  it.each([
    { grep: "\\[error\\]", ignore_case: true },
    { grep: "\\[ERROR\\] frame \\d+", ignore_case: false },
  ])("greps the whole log with line numbers and context lines ($grep)", async (pattern) => {
    const call = await read({ file_id: logId, ...pattern, context: 1 });
    const result = resultOf(call);
    const errorLines = log.lines.flatMap((line, index) => (line.includes("[ERROR]") ? [index + 1] : []));
    expect(errorLines.length).toBe(8);
    expect(result.matches!.map((match) => match.line)).toEqual(errorLines);
    const first = result.matches![0]!;
    expect(first).toEqual({
      line: 7001,
      text: log.lines[7000],
      before: [log.lines[6999]],
      after: [log.lines[7001]],
    });
    expect(result).toMatchObject({ complete: true, scanned_bytes: log.bytes.length });
    expect(toolText(call)).toContain(`7001: ${log.lines[7000]}`);
    expect(toolText(call)).toContain(`7000- ${log.lines[6999]}`);
  });

  it("stops a hostile pattern at its time budget while the server keeps serving", async () => {
    const fileId = await sandbox.addFile({
      parentId: 0,
      name: "backtrack.txt",
      content: `first line\n${"a".repeat(48)}!\nlast line\n`,
    });
    const finished: string[] = [];
    const hostile = read({ file_id: fileId, grep: "^(a+)+$" }).then((result) => {
      finished.push("grep");
      return result;
    });
    // While the pattern spins in its worker, another call is answered.
    const meanwhile = await read({ file_id: logId, head: 1 });
    finished.push("head");
    expect(resultOf(meanwhile).text).toBe(log.lines[0]);
    const result = resultOf(await hostile);
    expect(finished).toEqual(["head", "grep"]);
    expect(result).toMatchObject({ complete: false, truncated: true });
    expect(result.note).toMatch(/took too long.*backtracks catastrophically/);
  });

  it("resumes a ranged body that the storage cut short", async () => {
    sandbox.clearRequests();
    sandbox.setFaults({ routes: { "s3-get": { truncate: 1 } } });
    try {
      const offset = 1_000_000;
      const result = resultOf(await read({ file_id: logId, offset, length: 20_000, max_bytes: 20_000 }));
      expect(result.text).toBe(log.bytes.subarray(offset, offset + 20_000).toString());
    } finally {
      sandbox.setFaults(null);
    }
    const cut = sandbox.requests.filter(
      (request) => request.route === "s3-get" && request.fault === "truncate",
    );
    expect(cut.length).toBeGreaterThan(2);
  });

  it("shows a PNG byte for byte as an image item", async () => {
    const call = await read({ file_id: SEED.sharedImageFileId });
    expect(resultOf(call)).toMatchObject({ kind: "image", name: "logo.png" });
    const image = call.content.find((item): item is ImageContent => item.type === "image");
    expect(image?.mimeType).toBe("image/png");
    expect(Buffer.from(image!.data, "base64").equals(await sandbox.readFile(SEED.sharedImageFileId))).toBe(
      true,
    );
  });

  it("lists a zip from its central directory without fetching its body, then reads one member", async () => {
    const members = Array.from({ length: 300 }, (_, index) => ({
      name: `frames/frame_${String(index).padStart(4, "0")}.exr`,
      // Incompressible, so the archive's body is big and its directory small.
      content: patternBytes(20_000, index + 1),
      compress: false,
    }));
    const zip = await zipOf([
      ...members,
      { name: "logs/render.log", content: log.lines.slice(0, 2000).join("\n") },
    ]);
    const zipId = await sandbox.addFile({
      parentId: 0,
      name: "outputs.zip",
      content: zip,
      contentType: "application/zip",
    });

    const listing = await fetchedDuring(zipId, () => read({ file_id: zipId }));
    const result = resultOf(listing.value);
    expect(result).toMatchObject({ kind: "zip", total_entries: 301, truncated: true });
    // As many as the output budget holds, in the archive's order.
    expect(result.entries!.length).toBeGreaterThan(50);
    expect(result.entries!.map((entry) => entry.path)).toEqual(
      members.slice(0, result.entries!.length).map((m) => m.name),
    );
    expect(toolText(listing.value)).toContain(`zip of 301 members, first ${result.entries!.length} shown`);
    expect(result.entries![0]).toEqual({
      path: "frames/frame_0000.exr",
      size: 20_000,
      compressed_size: 20_000,
      modified: "30 Nov 2026 12:00:00 UT",
    });
    expect(zip.length).toBeGreaterThan(6_000_000);
    expect(listing.fetched).toBeLessThanOrEqual(512 * KIB);
    expect(resultTokens(listing.value)).toBeLessThanOrEqual(OUTPUT_BUDGET_TOKENS);

    const folder = resultOf(await read({ file_id: zipId, entry: "logs/" }));
    expect(folder.entries!.map((entry) => entry.path)).toEqual(["logs/render.log"]);

    const member = await fetchedDuring(zipId, () =>
      read({ file_id: zipId, entry: "logs/render.log", tail: 3 }),
    );
    expect(resultOf(member.value)).toMatchObject({
      kind: "text",
      entry: "logs/render.log",
      text: log.lines.slice(1997, 2000).join("\n"),
    });
    expect(member.fetched).toBeLessThanOrEqual(1024 * KIB);
  });

  it("reads Zip64 archives and names encrypted members as such", async () => {
    const zip = markEncrypted(
      await zipOf([
        { name: "notes.txt", content: "hello from zip64\nsecond line\n", zip64: true },
        { name: "secret.txt", content: "classified", zip64: true },
      ]),
      "secret.txt",
    );
    const zipId = await sandbox.addFile({ parentId: 0, name: "big-archive.zip", content: zip });
    const listing = resultOf(await read({ file_id: zipId }));
    expect(listing.entries).toMatchObject([
      { path: "notes.txt", size: 29 },
      { path: "secret.txt", unreadable: "encrypted" },
    ]);
    expect(resultOf(await read({ file_id: zipId, entry: "notes.txt", head: 1 })).text).toBe(
      "hello from zip64",
    );
    const secret = await read({ file_id: zipId, entry: "secret.txt" });
    expect(secret.isError).toBe(true);
    expect(toolText(secret)).toMatch(/secret\.txt.*encrypted/);
  });

  it("says clearly when a zip is damaged", async () => {
    const zipId = await sandbox.addFile({
      parentId: 0,
      name: "broken.zip",
      content: Buffer.concat([Buffer.from("PK\x03\x04"), patternBytes(50_000, 7)]),
      contentType: "application/zip",
    });
    const call = await read({ file_id: zipId });
    expect(call.isError).toBe(true);
    expect(toolText(call)).toMatch(/broken\.zip can't be read as a zip archive .*damaged.*download_files/);
  });

  it("answers metadata and a pointer to download_files for other binary files", async () => {
    const fileId = await sandbox.addFile({
      parentId: 0,
      name: "scene.blend",
      content: patternBytes(300_000, 3),
    });
    const { value, fetched } = await fetchedDuring(fileId, () => read({ file_id: fileId }));
    const result = resultOf(value);
    expect(result).toMatchObject({ kind: "binary", size: 300_000 });
    expect(result.text).toBeUndefined();
    expect(result.note).toContain(`download_files with file_ids=[${fileId}]`);
    expect(fetched).toBeLessThanOrEqual(24 * KIB);
  });

  it("reads UTF-16 text (a BOM says so) and cuts very long lines with a marker", async () => {
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from("Größe 1\r\nGröße 2\r\nEnde\r\n", "utf16le"),
    ]);
    const utf16Id = await sandbox.addFile({ parentId: 0, name: "powershell.log", content: utf16 });
    expect(resultOf(await read({ file_id: utf16Id, tail: 2 })).text).toBe("Größe 2\nEnde");

    const longId = await sandbox.addFile({
      parentId: 0,
      name: "minified.json",
      content: `${"x".repeat(50_000)}\nnext\n`,
    });
    const result = resultOf(await read({ file_id: longId, head: 2 }));
    const [first, second] = result.text!.split("\n");
    expect(first).toBe(`${"x".repeat(4000)} … [line cut: 46000 more bytes]`);
    expect(second).toBe("next");
    expect(result.truncated).toBe(true);
  });

  it("keeps every result within the output budget", async () => {
    // Big enough that the match limit stops the scan mid-stream.
    const manyErrors = Buffer.from(
      Array.from({ length: 20_000 }, (_, index) => `error ${index} ${"detail ".repeat(30)}`).join("\n"),
    );
    const fileId = await sandbox.addFile({ parentId: 0, name: "noisy.log", content: manyErrors });
    const grep = await read({ file_id: fileId, grep: "error", context: 2 });
    const grepResult = resultOf(grep);
    expect(grepResult).toMatchObject({ complete: false, truncated: true });
    expect(grepResult.note).toMatch(/Stopped at 200 matches/);
    expect(resultTokens(grep)).toBeLessThanOrEqual(OUTPUT_BUDGET_TOKENS);
    expect(grepResult.scanned_bytes).toBeLessThan(manyErrors.length);
    // Text reads carry the text once in each form: at most the default 16 KiB in each, both
    // within the default budget when max_bytes is not given.
    for (const args of [{}, { tail: 5000 }, { head: 5000 }, { offset: 0, length: 999_999 }]) {
      const call = await read({ file_id: logId, ...args });
      expect(Buffer.byteLength(resultOf(call).text!)).toBeLessThanOrEqual(16 * KIB);
      expect(claudeTokens(call), JSON.stringify(args)).toBeLessThan(OUTPUT_BUDGET_TOKENS);
      expect(toolText(call).split("\n")[0]).toMatch(
        "tail" in args ? /earlier text: offset=/ : /more follows: offset=/,
      );
    }
  });

  it("stays under the 25,000-token cap at max_bytes=262144, each form holding the text once, and names the call that goes on", async () => {
    // Dense text: JSON lines, quotes and digits (the worst a tokenizer sees), 400 KB of it.
    const dense = Buffer.from(
      Array.from(
        { length: 6000 },
        (_, index) => `{"t":"2026-12-01T10:00:${index % 60}Z","frame":${index},"ok":"${"\\".repeat(3)}yes"}`,
      ).join("\n"),
    );
    const denseId = await sandbox.addFile({ parentId: 0, name: "frames.jsonl", content: dense });
    const tokens = (call: CallToolResult) =>
      countTokens(toolText(call)) + countTokens(JSON.stringify(call.structuredContent));
    for (const [fileId, bytes] of [
      [logId, log.bytes],
      [denseId, dense],
    ] as const) {
      for (const args of [{}, { head: 100_000 }, { tail: 100_000 }, { offset: 0, length: 999_999 }]) {
        const call = await read({ file_id: fileId, max_bytes: 262_144, ...args });
        expect(call.isError, toolText(call)).toBeFalsy();
        expect(tokens(call), JSON.stringify(args)).toBeLessThan(25_000);
        const result = resultOf(call);
        // Once in each form: the text item is a header line (and a note), then the text.
        expect(toolText(call).endsWith(`\n${result.text}`)).toBe(true);
        expect(toolText(call).split(result.text!).length).toBe(2);
        expect(toolText(call)).not.toMatch(/raise/i);
        const header = toolText(call).split("\n")[0]!;
        if ("tail" in args) {
          expect(header).toMatch(/earlier text: offset=\d+ length=\d+/);
          continue;
        }
        // The hint, followed blindly, fits too and goes on exactly where this one ended.
        const offset = Number(/more follows: offset=(\d+)/.exec(header)?.[1]);
        expect(offset).toBe(result.range!.end);
        expect(header).toMatch(/25,000-token cap/);
        const next = await read({ file_id: fileId, max_bytes: 262_144, offset });
        expect(tokens(next)).toBeLessThan(25_000);
        expect(resultOf(next).range!.start).toBe(offset);
        // Exactly the bytes before and after the offset: nothing skipped, nothing repeated.
        expect(bytes.subarray(0, offset).toString().startsWith(result.text!)).toBe(true);
        expect(bytes.subarray(offset).toString().startsWith(resultOf(next).text!)).toBe(true);
      }
    }
    const grep = await read({ file_id: logId, grep: "INFO", context: 10, max_bytes: 262_144 });
    expect(tokens(grep)).toBeLessThan(25_000);
    expect(toolText(grep)).not.toMatch(/raise/i);
    expect(toolText(grep)).toMatch(/narrow the pattern/);
  });

  it("refuses more than one way of reading at once, and a bad pattern", async () => {
    const both = await read({ file_id: logId, head: 5, tail: 5 });
    expect(both.isError).toBe(true);
    expect(toolText(both)).toContain("at most one of head, tail, offset+length and grep");
    const badPattern = await read({ file_id: logId, grep: "(unclosed" });
    expect(badPattern.isError).toBe(true);
    expect(toolText(badPattern)).toContain("grep is not a valid regular expression");
  });

  it("serves vagon://files/{id} through the same reader", async () => {
    const fileId = await sandbox.addFile({
      parentId: 0,
      name: "notes.md",
      content: "# Notes\nall good\n",
      contentType: "text/markdown",
    });
    const resource = await harness.mcp.readResource({ uri: `vagon://files/${fileId}` });
    expect(resource.contents[0]).toMatchObject({ text: "# Notes\nall good\n" });
  });
});

describe("read_file with a link that expires", () => {
  let sandbox: Sandbox;
  let harness: Harness;

  beforeAll(async () => {
    let s3Gets = 0;
    // From the second object GET on, the storage's clock is two minutes ahead: links signed
    // before then (valid 60 s) have expired; Vagon's API still accepts the client's signatures.
    sandbox = await startSandbox({
      presignTtlSeconds: 60,
      clock: () => {
        s3Gets = sandbox?.requests.filter((request) => request.route === "s3-get").length ?? 0;
        return Date.now() + (s3Gets >= 2 ? 120_000 : 0);
      },
    });
    harness = await startHarness({ sandbox });
  });

  afterAll(async () => {
    await harness?.close({ keepSandbox: true });
    await sandbox?.close();
  });

  it("asks Vagon for a fresh link once and finishes the read", async () => {
    const { bytes, lines } = renderLog(5000);
    const fileId = await sandbox.addFile({ parentId: 0, name: "task.log", content: bytes });
    sandbox.clearRequests();
    const result = resultOf(await harness.callTool("read_file", { file_id: fileId, tail: 10 }));
    expect(result.text).toBe(lines.slice(-10).join("\n"));
    const routes = sandbox.requests.map((request) => `${request.route} ${request.status}`);
    expect(routes.filter((route) => route === "s3-get 403")).toHaveLength(1);
    expect(routes.filter((route) => route.startsWith("download "))).toHaveLength(2);
  });
});
