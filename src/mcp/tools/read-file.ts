import type { ImageContent } from "@modelcontextprotocol/server";
import { z } from "zod";
import { countOf, formatBytes, groupDigits } from "../../units.js";
import { openStoredFile, type RangedReader } from "../../vagon/ranged-reader.js";
import { estimateTokens, HOST_CAP_ESTIMATE, HOST_CAP_TOKENS, TEXT_ESTIMATE_LIMIT } from "../kit/budget.js";
import { defineTool, type ToolContext, type ToolOutput } from "../kit/define-tool.js";
import { ToolError, UserInputError } from "../kit/errors.js";
import * as params from "../kit/params.js";
import { createProgress } from "../kit/progress.js";
import { tableSchema, toTable } from "../kit/table.js";
import { explainFolderAmongFiles, folderNotFileText } from "../kit/wrong-kind.js";
import { classify, SNIFF_BYTES } from "../reading/classify.js";
import {
  type BytePump,
  checkPattern,
  type GrepMatch,
  grepStream,
  MAX_GREP_MATCHES,
  pumpStream,
} from "../reading/grep.js";
import { forwardStreamSource, rangedSource, streamTailSource } from "../reading/sources.js";
import {
  type ByteSource,
  type Codec,
  firstTailWindowBytes,
  readByteRange,
  readHead,
  readTail,
  type TextSlice,
} from "../reading/text.js";
import {
  CorruptZipError,
  MAX_ZIP_MEMBERS,
  memberReadProblem,
  openZip,
  type ZipMember,
} from "../reading/zip.js";

export const DEFAULT_MAX_BYTES = 16 * 1024;
const MAX_MAX_BYTES = 256 * 1024;
/** Larger images are pointed to download_files: they would crowd out the conversation. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/**
 * Estimated tokens one result may take, text and structured copy together. The text comes once in
 * each form, so 16 KiB of dense text (logs, CSV) take up to a token per byte in each copy. Nothing
 * asked: the default budget (~8,000 tokens), so a dense text comes back shorter
 * than 16 KiB and says where it goes on. An explicit max_bytes (the documented way to ask for
 * more) raises the budget with it, from the default's 16 KiB up — but never past the cap hosts
 * apply (25,000 tokens), whatever max_bytes says.
 */
export function readBudget(maxBytes: number | undefined): number {
  if (maxBytes === undefined) return TEXT_ESTIMATE_LIMIT;
  return Math.min(Math.max(maxBytes, DEFAULT_MAX_BYTES) + 2048, HOST_CAP_ESTIMATE);
}

/** What grep matches and zip listings may take of it (the rest is header and notes). */
function listingBudget(maxBytes: number): number {
  return Math.min(Math.round((6000 * maxBytes) / DEFAULT_MAX_BYTES), HOST_CAP_ESTIMATE - 2000);
}

/** Zip members listed per call. */
const ZIP_LIST_LIMIT = 100;

type Mode =
  | { kind: "first" }
  | { kind: "head"; lines: number }
  | { kind: "tail"; lines: number }
  | { kind: "range"; offset: number; length: number }
  | { kind: "grep"; pattern: string; ignoreCase: boolean; context: number };

const matchSchema = z.object({
  line: z.number(),
  text: z.string(),
  before: z.array(z.string()).optional(),
  after: z.array(z.string()).optional(),
});

const membersSchema = tableSchema(
  {
    path: z.string(),
    size: z.number(),
    compressed_size: z.number(),
    modified: z.string().nullable().describe("UTC ('03 Feb 2026 09:16:30 UT'), as the zip says it."),
  },
  {
    description:
      "Zip members. A member that can't be read here says why in exceptions (by path): unreadable.",
    exceptions: { unreadable: z.string() },
  },
);

/** Zip members as a table. */
function membersTable(members: readonly ZipMember[]) {
  return toTable<ZipMember>(
    {
      columns: {
        path: (member) => member.path,
        size: (member) => member.size,
        compressed_size: (member) => member.compressed_size,
        modified: (member) => member.modified || null,
      },
      derived: { unreadable: { actual: (member) => member.unreadable, derive: () => undefined } },
      key: (member) => member.path,
    },
    members,
  );
}

const outputShape = {
  id: z.number(),
  name: z.string(),
  content_type: z.string().nullable().optional(),
  size: z.number(),
  kind: z.enum(["text", "image", "zip", "binary"]),
  entry: z.string().optional(),
  range: z.object({ start: z.number(), end: z.number() }).optional().describe("Bytes [start, end) shown."),
  eof: z.boolean().optional(),
  truncated: z.boolean().optional(),
  text: z.string().optional(),
  matches: z.array(matchSchema).optional(),
  scanned_bytes: z.number().optional(),
  complete: z.boolean().optional().describe("grep searched the whole file."),
  entries: membersSchema.optional(),
  total_entries: z.number().optional(),
  note: z.string().optional(),
};
type ReadFileOutput = z.infer<z.ZodObject<typeof outputShape>>;
type Base = Pick<ReadFileOutput, "id" | "name" | "content_type" | "size">;

export const readFile = defineTool({
  name: "read_file",
  title: "Read a stored file",
  description: `Read a stored file in place, fetching only the bytes needed.
Use this tool when you need to:
- check a task's log: tail=100, or grep="error|failed" with context=2
- look at a render (PNG, JPEG, GIF, WebP up to 5 MB come back as an image)
- see what a zip holds, or read one member (entry)
Nothing asked = the first 16 KiB of text (less if dense); give at most one of head, tail, offset+length, grep. Other binary: use download_files.`,
  inputSchema: {
    file_id: params.fileId,
    head: z.number().int().min(1).max(100_000).optional().describe("First N lines."),
    tail: z.number().int().min(1).max(100_000).optional().describe("Last N lines."),
    offset: z.number().int().min(0).optional().describe("Byte offset to read from."),
    length: z.number().int().min(1).optional().describe("Bytes to read from offset."),
    grep: z.string().min(1).max(1000).optional().describe("Regex (JavaScript): matching lines, up to 200."),
    ignore_case: z.boolean().default(false).describe("grep: ignore case."),
    context: z.number().int().min(0).max(10).default(0).describe("grep: lines around each match."),
    entry: z.string().min(1).max(4096).optional().describe("Zip: member to read; 'dir/' lists a folder."),
    max_bytes: z
      .number()
      .int()
      .min(1024)
      .max(MAX_MAX_BYTES)
      .optional()
      .describe("Most text returned, in bytes."),
  },
  outputSchema: outputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  mutating: false,
  budgetTokens: (args) => readBudget(args.max_bytes),
  async handler(args, context) {
    const mode = modeOf(args);
    const signal = context.extra.signal;
    const file = await openStoredFile(context.client, args.file_id, { signal }).catch((error: unknown) =>
      explainFolderAmongFiles(error, context.client, [args.file_id], signal, "read_file can't read it"),
    );
    if (!file) {
      throw new UserInputError(
        folderNotFileText(
          [{ id: args.file_id, location: "shared", name: null, total: 0 }],
          "read_file can't read it",
        ),
      );
    }
    const { reader } = file;
    const base: Base = {
      id: args.file_id,
      name: file.name ?? `file ${args.file_id}`,
      ...(file.contentType ? { content_type: file.contentType } : {}),
      size: reader.sizeBytes,
    };
    // Head and the default read take their first window with the bytes that classify the file.
    const maxBytes = args.max_bytes ?? DEFAULT_MAX_BYTES;
    const firstBytes = mode.kind === "first" || mode.kind === "head" ? maxBytes + 4096 : SNIFF_BYTES;
    const prefixBytes = Math.min(reader.sizeBytes, firstBytes);
    // tail's first window comes with them, not a round trip after.
    const suffixBytes =
      mode.kind === "tail"
        ? Math.min(reader.sizeBytes - prefixBytes, firstTailWindowBytes({ lines: mode.lines, maxBytes }))
        : 0;
    const [prefix, suffix] = await Promise.all([
      reader.read(0, prefixBytes, { signal }),
      suffixBytes > 0 ? reader.read(reader.sizeBytes - suffixBytes, suffixBytes, { signal }) : undefined,
    ]);
    const source = rangedSource(reader, prefix, signal, suffix);
    const classified = classify(
      base.name,
      file.contentType,
      prefix.subarray(0, SNIFF_BYTES),
      reader.sizeBytes <= SNIFF_BYTES,
    );
    const read: ReadContext = {
      base,
      mode,
      maxBytes,
      budget: readBudget(args.max_bytes),
      context,
      label: base.name,
    };

    if (classified.kind === "zip") return readZip(read, reader, args.entry);
    if (args.entry !== undefined) {
      throw new UserInputError(`${base.name} is not a zip file, so it has no members: leave out entry.`);
    }
    if (classified.kind === "image") return readImage(read, source, classified.mimeType);
    if (classified.kind === "binary") return binaryPointer(read, "");
    if (mode.kind === "grep") {
      // grepStream settles on the call's cancellation too, and `stop` then ends the read.
      return readGrep(read, classified.codec, reader.sizeBytes, (sink, stop) =>
        reader.pumpRange(0, reader.sizeBytes, sink, { signal: stop }),
      );
    }
    return readText(read, source, classified.codec, () => Promise.resolve(source));
  },
});

interface ReadContext {
  base: Base;
  mode: Mode;
  maxBytes: number;
  /** Estimated tokens the result may take (readBudget). */
  budget: number;
  context: ToolContext;
  /** How the text names what is read: the file, or "member in archive". */
  label: string;
  entry?: string;
}

function modeOf(args: {
  head?: number | undefined;
  tail?: number | undefined;
  offset?: number | undefined;
  length?: number | undefined;
  grep?: string | undefined;
  ignore_case: boolean;
  context: number;
  max_bytes?: number | undefined;
}): Mode {
  const given = [
    args.head !== undefined && "head",
    args.tail !== undefined && "tail",
    (args.offset !== undefined || args.length !== undefined) && "offset/length",
    args.grep !== undefined && "grep",
  ].filter(Boolean);
  if (given.length > 1) {
    throw new UserInputError(
      `Give at most one of head, tail, offset+length and grep (got ${given.join(", ")}).`,
    );
  }
  if (args.head !== undefined) return { kind: "head", lines: args.head };
  if (args.tail !== undefined) return { kind: "tail", lines: args.tail };
  if (args.offset !== undefined || args.length !== undefined) {
    return {
      kind: "range",
      offset: args.offset ?? 0,
      length: args.length ?? args.max_bytes ?? DEFAULT_MAX_BYTES,
    };
  }
  if (args.grep !== undefined) {
    const problem = checkPattern(args.grep, args.ignore_case);
    if (problem)
      throw new UserInputError(
        `grep is not a valid regular expression: ${problem}. Fix the pattern, then try again.`,
      );
    return { kind: "grep", pattern: args.grep, ignoreCase: args.ignore_case, context: args.context };
  }
  return { kind: "first" };
}

function sizeLine(read: ReadContext, size: number): string {
  return `${read.label} (${formatBytes(size)})`;
}

/**
 * Text read as asked, once in each form: structuredContent.text for hosts that hand the model the
 * JSON (Claude Code, ChatGPT), the text item (a header, then the text) for hosts that hand it the
 * text. Each host's model reads it once; the result carries both, so both count against the
 * budget, and a read that would pass it is read again shorter, saying where to go on.
 */
async function readText(
  read: ReadContext,
  source: ByteSource,
  codec: Codec,
  tailSource: () => Promise<ByteSource>,
): Promise<ToolOutput<ReadFileOutput>> {
  const { budget } = read;
  let bytes = read.maxBytes;
  for (let attempt = 0; ; attempt += 1) {
    const output = await readTextOnce(read, source, codec, tailSource, bytes, budget >= HOST_CAP_ESTIMATE);
    const tokens = estimateTokens(output.text) + estimateTokens(JSON.stringify(output.structured));
    if (tokens <= budget || attempt === 4 || bytes <= 1024) return output;
    // Dense text: fewer bytes, in proportion, with room for the estimate's own error.
    bytes = Math.max(1024, Math.floor((bytes * budget * 0.95) / tokens));
  }
}

async function readTextOnce(
  read: ReadContext,
  source: ByteSource,
  codec: Codec,
  tailSource: () => Promise<ByteSource>,
  bytes: number,
  /** The budget is the host cap (max_bytes asked for more than it holds), not the default one. */
  atCap: boolean,
): Promise<ToolOutput<ReadFileOutput>> {
  const { mode } = read;
  const maxBytes = bytes;
  let slice: TextSlice;
  if (mode.kind === "tail")
    slice = await readTail(await tailSource(), codec, { lines: mode.lines, maxBytes });
  else if (mode.kind === "range") slice = await readByteRange(source, codec, { ...mode, maxBytes });
  else
    slice = await readHead(source, codec, { lines: mode.kind === "head" ? mode.lines : undefined, maxBytes });

  const size = source.sizeBytes;
  // Cut to fit one result (not by the caller's max_bytes): more can't be asked for in one call.
  const capped = maxBytes < read.maxBytes;
  const next: string[] = [];
  if (slice.truncated && !slice.note) {
    next.push(
      capped
        ? `cut at ${groupDigits(maxBytes)} bytes to stay under ${atCap ? `the ${groupDigits(HOST_CAP_TOKENS)}-token cap` : "the output budget"} of one result`
        : `cut at max_bytes=${read.maxBytes}`,
    );
  }
  if (!slice.eof && mode.kind !== "tail") next.push(`more follows: offset=${slice.end}`);
  else if (slice.truncated && mode.kind === "tail" && slice.start > 0)
    next.push(
      `earlier text: offset=${Math.max(0, slice.start - maxBytes)} length=${Math.min(maxBytes, slice.start)}`,
    );
  if (slice.cutLines > 0) next.push(`${slice.cutLines} long line${slice.cutLines === 1 ? "" : "s"} cut`);
  if (slice.truncated && !slice.note) next.push("or grep for what you need");
  const what =
    mode.kind === "tail"
      ? `last ${slice.text === "" ? 0 : slice.text.split("\n").length} lines`
      : mode.kind === "head"
        ? `first ${slice.text === "" ? 0 : slice.text.split("\n").length} lines`
        : "bytes";
  // "bytes" is said with the numbers: after "last 100 lines" they would read as line numbers.
  const span = `bytes ${groupDigits(slice.start)}–${groupDigits(slice.end)}`;
  if (mode.kind === "range" && mode.offset >= size && size > 0) {
    next.unshift(
      `offset=${groupDigits(mode.offset)} is past the end: the file has ${countOf(size, "byte")}, so nothing was read (tail reads its last lines)`,
    );
  }
  const header = `${sizeLine(read, size)}, ${what === "bytes" ? span : `${what} (${span})`}${slice.eof ? " (end of file)" : ""}${next.length > 0 ? `; ${next.join("; ")}` : ""}`;
  const note = [
    slice.note,
    slice.truncated && !slice.note
      ? capped
        ? `Cut at ${maxBytes} bytes to fit one result.`
        : `Cut at max_bytes=${read.maxBytes}.`
      : undefined,
  ]
    .filter(Boolean)
    .join(" ");
  return {
    structured: {
      ...read.base,
      kind: "text",
      ...(read.entry ? { entry: read.entry } : {}),
      range: { start: slice.start, end: slice.end },
      eof: slice.eof,
      truncated: slice.truncated || slice.cutLines > 0,
      text: slice.text,
      ...(note ? { note } : {}),
    },
    text: `${header}${slice.note ? `\n${slice.note}` : ""}\n${slice.text}`,
  };
}

async function readGrep(
  read: ReadContext,
  codec: Codec,
  sizeBytes: number,
  pump: BytePump,
): Promise<ToolOutput<ReadFileOutput>> {
  const mode = read.mode as Extract<Mode, { kind: "grep" }>;
  const progress = createProgress(read.context.extra);
  const result = await grepStream(pump, codec, {
    pattern: mode.pattern,
    ignoreCase: mode.ignoreCase,
    context: mode.context,
    signal: read.context.extra.signal,
    onProgress: (scanned) =>
      progress.report(
        scanned,
        sizeBytes,
        // The same units as every other size the server shows (units.ts).
        `scanning ${formatBytes(scanned)}/${formatBytes(sizeBytes)}`,
      ),
  });
  progress.finish(`scanned ${formatBytes(result.scannedBytes)}`);

  // Context lines are shown once: a line already shown (an earlier match or its context) is not repeated.
  const lines: string[] = [];
  const shown: GrepMatch[] = [];
  let usedTokens = 0;
  let lastShownLine = 0;
  for (const [index, match] of result.matches.entries()) {
    const nextLine = result.matches[index + 1]?.line ?? Number.POSITIVE_INFINITY;
    const firstBefore = match.line - (match.before?.length ?? 0);
    const before = (match.before ?? []).filter((_, offset) => firstBefore + offset > lastShownLine);
    const after = (match.after ?? []).filter((_, offset) => match.line + 1 + offset < nextLine);
    const group: string[] = [];
    if (lines.length > 0 && match.line - before.length > lastShownLine + 1 && mode.context > 0)
      group.push("--");
    group.push(...before.map((text, offset) => `${match.line - before.length + offset}- ${text}`));
    group.push(`${match.line}: ${match.text}`);
    group.push(...after.map((text, offset) => `${match.line + 1 + offset}- ${text}`));
    const shownMatch = {
      line: match.line,
      text: match.text,
      ...(before.length > 0 ? { before } : {}),
      ...(after.length > 0 ? { after } : {}),
    };
    // Text and structured both carry the lines, JSON-escaped in the second.
    const groupTokens = estimateTokens(group.join("\n")) + estimateTokens(JSON.stringify(shownMatch));
    if (usedTokens + groupTokens > listingBudget(read.maxBytes)) break;
    usedTokens += groupTokens;
    lines.push(...group);
    shown.push(shownMatch);
    lastShownLine = match.line + after.length;
  }
  const notShown = result.matches.length - shown.length;
  const notes: string[] = [];
  if (result.stopped === "regex_timeout") {
    notes.push(
      `The pattern took too long (over 2 s on the text after line ${result.stalledAfterLine ?? 1}), so the search was stopped after ${formatBytes(result.scannedBytes)}: it backtracks catastrophically. Simplify nested quantifiers such as (a+)+ and try again.`,
    );
  } else if (result.stopped === "match_limit") {
    notes.push(
      `Stopped at ${MAX_GREP_MATCHES} matches after ${formatBytes(result.scannedBytes)}; narrow the pattern to see later ones.`,
    );
  }
  if (notShown > 0)
    notes.push(
      `${notShown} more matching lines found but not shown (over what one result holds): narrow the pattern, or lower context; the first not shown is line ${result.matches[shown.length]?.line ?? "?"}.`,
    );
  const note = notes.join(" ");
  const flags = mode.ignoreCase ? "i" : "";
  const scope = result.complete ? "whole file" : "stopped early";
  const header = `${result.matches.length} matching line${result.matches.length === 1 ? "" : "s"} for /${mode.pattern}/${flags} in ${sizeLine(read, sizeBytes)}: scanned ${formatBytes(result.scannedBytes)}, ${scope}`;
  return {
    structured: {
      ...read.base,
      kind: "text",
      ...(read.entry ? { entry: read.entry } : {}),
      matches: shown,
      scanned_bytes: result.scannedBytes,
      complete: result.complete,
      truncated: !result.complete || notShown > 0,
      ...(note ? { note } : {}),
    },
    text: [header, ...(note ? [note] : []), ...lines].join("\n"),
  };
}

async function readImage(
  read: ReadContext,
  source: ByteSource,
  mimeType: string,
): Promise<ToolOutput<ReadFileOutput>> {
  const size = source.sizeBytes;
  if (size > MAX_IMAGE_BYTES) {
    const note = `${read.label} is a ${formatBytes(size)} ${mimeType.slice(6).toUpperCase()} image, over the ${formatBytes(MAX_IMAGE_BYTES)} read_file shows. ${downloadHint(read)}`;
    return {
      structured: { ...read.base, kind: "image", ...(read.entry ? { entry: read.entry } : {}), note },
      text: note,
    };
  }
  const bytes = await source.read(0, size);
  const image: ImageContent = { type: "image", data: bytes.toString("base64"), mimeType };
  return {
    structured: { ...read.base, kind: "image", ...(read.entry ? { entry: read.entry } : {}) },
    text: `${sizeLine(read, size)}: ${mimeType.slice(6).toUpperCase()} image, shown below.`,
    images: [image],
  };
}

function downloadHint(read: ReadContext): string {
  return read.entry
    ? `To get it, call download_files with file_ids=[${read.base.id}], save_to and extract=true.`
    : `To get it, call download_files with file_ids=[${read.base.id}] (add save_to to save it to disk).`;
}

function binaryPointer(read: ReadContext, kindHint: string): ToolOutput<ReadFileOutput> {
  const type = read.base.content_type ? `${read.base.content_type}, ` : "";
  const note = `${read.label} (${read.entry ? "" : type}${formatBytes(read.base.size)}) is ${kindHint || "a binary file"}: read_file shows text, images and zip listings only. ${downloadHint(read)}`;
  return {
    structured: { ...read.base, kind: "binary", ...(read.entry ? { entry: read.entry } : {}), note },
    text: note,
  };
}

function corruptZip(read: ReadContext, error: unknown): never {
  if (error instanceof CorruptZipError) {
    throw new ToolError(
      `${read.base.name} can't be read as a zip archive (${error.message.replace(/\.$/, "")}): it may be damaged or not a zip at all. Fetch it whole with download_files to inspect it.`,
    );
  }
  throw error;
}

async function readZip(
  read: ReadContext,
  reader: RangedReader,
  entry: string | undefined,
): Promise<ToolOutput<ReadFileOutput>> {
  const signal = read.context.extra.signal;
  const archive = await openZip(reader, signal).catch((error: unknown) => corruptZip(read, error));
  if (entry === undefined || entry.endsWith("/")) {
    if (read.mode.kind !== "first") {
      throw new UserInputError(
        `${read.base.name} is a zip: head, tail, offset and grep read one member. Pass entry with the member's path (call read_file without them to list members).`,
      );
    }
    if (entry !== undefined && archive.entryCount > MAX_ZIP_MEMBERS)
      throw tooManyMembers(read, archive.entryCount);
    return listZip(read, archive, entry);
  }
  if (archive.entryCount > MAX_ZIP_MEMBERS) throw tooManyMembers(read, archive.entryCount);
  const found = await archive.find(entry).catch((error: unknown) => corruptZip(read, error));
  if (!found) {
    throw new UserInputError(
      `${read.base.name} has no member "${entry}". Call read_file with file_id=${read.base.id} and no entry to list its members (paths are case-sensitive).`,
    );
  }
  const { member } = found;
  if (member.unreadable) {
    throw new ToolError(
      `Member "${entry}" of ${read.base.name} can't be read here: it is ${member.unreadable}. Download the zip with download_files and open it with a tool that supports it.`,
    );
  }
  // tail, offset and grep unpack the member up to its end: a bomb, or more than a call's bound,
  // is refused before a byte is inflated. The first lines cost only what they return.
  const unpacksWhole = read.mode.kind !== "first" && read.mode.kind !== "head";
  const problem = unpacksWhole ? memberReadProblem(member) : null;
  if (problem) {
    throw new ToolError(
      `Member "${entry}" of ${read.base.name} isn't unpacked here: ${problem}. Read its first lines (head), or download the zip with download_files, whose extraction applies the same limits.`,
    );
  }
  const memberRead: ReadContext = {
    ...read,
    entry,
    label: `${entry} in ${read.base.name}`,
    base: { ...read.base, size: member.size },
  };
  const source = forwardStreamSource(
    () => found.open().catch((error: unknown) => corruptZip(read, error)),
    member.size,
  );
  const sample = await source.read(0, SNIFF_BYTES);
  const classified = classify(entry, null, sample, member.size <= SNIFF_BYTES);
  if (classified.kind === "image") return readImage(memberRead, source, classified.mimeType);
  if (classified.kind !== "text")
    return binaryPointer(memberRead, classified.kind === "zip" ? "a zip inside the zip" : "");
  if (read.mode.kind === "grep")
    return readGrep(memberRead, classified.codec, member.size, pumpStream(await found.open()));
  return readText(memberRead, source, classified.codec, async () =>
    streamTailSource(await found.open(), Math.max(read.maxBytes * 4, 1024 * 1024)),
  );
}

function tooManyMembers(read: ReadContext, entryCount: number): ToolError {
  return new ToolError(
    `${read.base.name} holds ${groupDigits(entryCount)} members, more than the ${groupDigits(MAX_ZIP_MEMBERS)} read_file looks through in one call (the limit extraction applies too). Call read_file without entry to list its first members, or download it with download_files.`,
  );
}

async function listZip(
  read: ReadContext,
  archive: Awaited<ReturnType<typeof openZip>>,
  folder: string | undefined,
): Promise<ToolOutput<ReadFileOutput>> {
  const listing = await archive
    .list(ZIP_LIST_LIMIT, folder ? (member) => member.path.startsWith(folder) : undefined)
    .catch((error: unknown) => corruptZip(read, error));
  const lines: string[] = [];
  const members: ZipMember[] = [];
  let usedTokens = 0;
  for (const member of listing.members) {
    const line = `${member.path}  ${formatBytes(member.size)} (${formatBytes(member.compressed_size)} zipped)  ${member.modified.slice(0, 16).replace("T", " ")}${member.unreadable ? `  [${member.unreadable}]` : ""}`;
    const memberTokens = estimateTokens(line) + estimateTokens(JSON.stringify(membersTable([member]).rows));
    if (usedTokens + memberTokens > listingBudget(read.maxBytes)) break;
    usedTokens += memberTokens;
    lines.push(line);
    members.push(member);
  }
  const total = listing.matched;
  const more = total - members.length;
  const note =
    more > 0
      ? `${groupDigits(more)} more not shown: pass entry="<folder>/" to list one folder, or entry="<path>" to read a member.`
      : undefined;
  const scope = folder ? ` under ${folder}` : "";
  return {
    structured: {
      ...read.base,
      kind: "zip",
      entries: membersTable(members),
      total_entries: total,
      truncated: more > 0,
      ...(note ? { note } : {}),
    },
    text: [
      `${sizeLine(read, read.base.size)}: zip of ${groupDigits(total)} member${total === 1 ? "" : "s"}${scope}${more > 0 ? `, first ${members.length} shown` : ""}`,
      ...lines,
      ...(note ? [note] : []),
    ].join("\n"),
  };
}
