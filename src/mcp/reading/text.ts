// Text out of a byte source, within a byte budget: which encoding a file is in (or that it is
// binary), its first lines, its last lines, or an exact byte range. Head reads forward in
// growing windows, tail backward in growing windows, so a 5 GB log costs kilobytes either way.
// Lines longer than a few thousand characters are cut with a marker saying how much is left out.

/** Longer lines are cut to this many characters. */
export const MAX_LINE_CHARS = 4000;
/** Bytes a head or tail may scan past what it shows (one enormous line): then it stops and says so. */
const SCAN_LIMIT_BYTES = 8 * 1024 * 1024;

export type TextEncoding = "utf-8" | "utf-16le" | "utf-16be";

export interface Codec {
  encoding: TextEncoding;
  /** Bytes of the byte order mark at the start of the file (0 when none). */
  bomBytes: number;
  /** 1 for UTF-8, 2 for UTF-16: offsets of lines are multiples of this past the BOM. */
  unitBytes: 1 | 2;
}

/** Random access to the bytes of a file (or of an uncompressed zip member). */
export interface ByteSource {
  sizeBytes: number;
  /** The first offset it can read, when it holds only the end of the file (a streamed zip member). */
  availableFrom?: number;
  read(start: number, length: number): Promise<Buffer>;
}

/** What a text read answers: the text and which bytes of the file it covers. */
export interface TextSlice {
  text: string;
  /** Byte offsets [start, end) of the shown text in the file. */
  start: number;
  end: number;
  /** The shown text reaches the end of the file. */
  eof: boolean;
  /** Something asked for is not shown: the budget ran out, or a line was too long to scan. */
  truncated: boolean;
  /** Lines cut at MAX_LINE_CHARS. */
  cutLines: number;
  /** Why the read stopped early, in words, when it did. */
  note?: string;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The encoding of a text file from its first bytes, or null for binary. A BOM decides; otherwise
 * a NUL byte or invalid UTF-8 means binary. `atEof`: the sample is the whole file, so a multi-byte
 * character cut at its end is not an excuse.
 */
export function sniffEncoding(sample: Buffer, atEof: boolean): Codec | null {
  if (sample.subarray(0, 3).equals(UTF8_BOM)) return { encoding: "utf-8", bomBytes: 3, unitBytes: 1 };
  if (sample[0] === 0xff && sample[1] === 0xfe) return { encoding: "utf-16le", bomBytes: 2, unitBytes: 2 };
  if (sample[0] === 0xfe && sample[1] === 0xff) return { encoding: "utf-16be", bomBytes: 2, unitBytes: 2 };
  if (sample.includes(0)) return null;
  const whole = atEof ? sample : sample.subarray(0, sample.length - incompleteTailBytes(sample));
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(whole);
  } catch {
    return null;
  }
  // Mostly control characters (other than tab, CR, LF, FF, ESC) is not text either.
  let controls = 0;
  for (const byte of whole)
    if (byte < 0x20 && byte !== 9 && byte !== 10 && byte !== 13 && byte !== 12 && byte !== 27) controls += 1;
  return controls > whole.length / 100 + 2 ? null : { encoding: "utf-8", bomBytes: 0, unitBytes: 1 };
}

/** How many bytes at the end of `bytes` are the start of a UTF-8 character that continues after it. */
function incompleteTailBytes(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needs > back ? back : 0;
  }
  return 0;
}

/** Index of the next newline's first byte at or after `from` (a unit boundary), or -1. */
function nextNewline(bytes: Buffer, from: number, codec: Codec): number {
  if (codec.unitBytes === 1) return bytes.indexOf(0x0a, from);
  const big = codec.encoding === "utf-16be";
  for (let index = bytes.indexOf(0x0a, from); index !== -1; index = bytes.indexOf(0x0a, index + 1)) {
    const unitStart = big ? index - 1 : index;
    if (unitStart >= from && (unitStart - from) % 2 === 0 && bytes[big ? index - 1 : index + 1] === 0) {
      return unitStart;
    }
  }
  return -1;
}

function decode(bytes: Buffer, codec: Codec): string {
  if (codec.encoding === "utf-8") return bytes.toString("utf8");
  return new TextDecoder(codec.encoding).decode(bytes);
}

/** One line as shown: cut to MAX_LINE_CHARS with a marker, without its line ending. */
export function renderLine(
  bytes: Buffer,
  codec: Codec,
  lineBytes = bytes.length,
): { text: string; cut: boolean } {
  let text = decode(bytes, codec);
  if (text.endsWith("\r")) text = text.slice(0, -1);
  if (text.length <= MAX_LINE_CHARS && lineBytes === bytes.length) return { text, cut: false };
  const kept = text.slice(0, MAX_LINE_CHARS);
  const keptBytes = codec.unitBytes === 2 ? kept.length * 2 : Buffer.byteLength(kept);
  return { text: `${kept} … [line cut: ${lineBytes - keptBytes} more bytes]`, cut: true };
}

/** Bytes a line may keep in memory while it is scanned: enough for MAX_LINE_CHARS in any encoding. */
const KEEP_LINE_BYTES = MAX_LINE_CHARS * 4;

interface Line {
  start: number;
  /** Offset just past the line's newline (or the end of the file). */
  next: number;
  text: string;
  cut: boolean;
}

/**
 * Splits a forward stream of bytes into lines, keeping at most KEEP_LINE_BYTES of each: memory
 * stays flat whatever the line lengths.
 */
export class LineScanner {
  #kept: Buffer[] = [];
  #keptBytes = 0;
  #lineStart: number;
  #position: number;
  /** An odd byte of a UTF-16 unit split between chunks. */
  #carry: Buffer | null = null;

  constructor(
    private readonly codec: Codec,
    startOffset: number,
  ) {
    this.#lineStart = startOffset;
    this.#position = startOffset;
  }

  /** Bytes of the line in progress. */
  get pendingBytes(): number {
    return this.#position - this.#lineStart;
  }

  get position(): number {
    return this.#position;
  }

  push(input: Buffer): Line[] {
    let chunk = input;
    if (this.#carry) {
      chunk = Buffer.concat([this.#carry, input]);
      this.#carry = null;
      this.#position -= 1;
    }
    if (this.codec.unitBytes === 2 && chunk.length % 2 === 1) {
      this.#carry = chunk.subarray(chunk.length - 1);
      chunk = chunk.subarray(0, chunk.length - 1);
    }
    const lines: Line[] = [];
    let from = 0;
    for (
      let newline = nextNewline(chunk, 0, this.codec);
      newline !== -1;
      newline = nextNewline(chunk, from, this.codec)
    ) {
      this.#keep(chunk.subarray(from, newline));
      from = newline + this.codec.unitBytes;
      lines.push(this.#finishLine(this.#position + from, true));
    }
    this.#keep(chunk.subarray(from));
    this.#position += chunk.length;
    if (this.#carry) this.#position += 1;
    return lines;
  }

  /** The last line, when the file does not end with a newline. */
  end(): Line | null {
    if (this.#carry) this.#keep(this.#carry);
    if (this.pendingBytes === 0) return null;
    return this.#finishLine(this.#position, false);
  }

  #keep(bytes: Buffer): void {
    const room = KEEP_LINE_BYTES - this.#keptBytes;
    if (room <= 0 || bytes.length === 0) return;
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    // Chunks are reused by nobody, but a subarray would pin the whole chunk: copy small slices.
    this.#kept.push(Buffer.from(kept));
    this.#keptBytes += kept.length;
  }

  #finishLine(next: number, endsWithNewline: boolean): Line {
    const bytes = Buffer.concat(this.#kept);
    const contentBytes = next - this.#lineStart - (endsWithNewline ? this.codec.unitBytes : 0);
    const { text, cut } = renderLine(bytes, this.codec, contentBytes);
    const line = { start: this.#lineStart, next, text, cut };
    this.#kept = [];
    this.#keptBytes = 0;
    this.#lineStart = next;
    return line;
  }
}

/** Collects shown lines within a byte budget (UTF-8 bytes of the text, newlines included). */
class Budget {
  lines: Line[] = [];
  usedBytes = 0;
  constructor(readonly maxBytes: number) {}

  get remaining(): number {
    return this.maxBytes - this.usedBytes;
  }

  /** False when the line does not fit; a first line that doesn't fit is cut to fit. */
  add(line: Line): boolean {
    const bytes = Buffer.byteLength(line.text) + (this.lines.length > 0 ? 1 : 0);
    if (bytes <= this.remaining) {
      this.lines.push(line);
      this.usedBytes += bytes;
      return true;
    }
    if (this.lines.length === 0) {
      const text = cutToBytes(line.text, this.remaining - 40);
      this.lines.push({ ...line, text: `${text} … [line cut to fit max_bytes]`, cut: true });
      this.usedBytes = Buffer.byteLength(this.lines[0]?.text ?? "");
    }
    return false;
  }

  text(): string {
    return this.lines.map((line) => line.text).join("\n");
  }
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes, never splitting a character. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return "";
  if (Buffer.byteLength(text) <= maxBytes) return text;
  const bytes = Buffer.from(text).subarray(0, maxBytes);
  return bytes.subarray(0, bytes.length - incompleteTailBytes(bytes)).toString("utf8");
}

function alignUp(offset: number, codec: Codec): number {
  return codec.unitBytes === 2 && (offset - codec.bomBytes) % 2 === 1 ? offset + 1 : offset;
}

export interface HeadOptions {
  /** Lines wanted; undefined = as many as fit in maxBytes. */
  lines?: number;
  maxBytes: number;
}

/** The first lines of the file, reading forward in growing windows. */
export async function readHead(source: ByteSource, codec: Codec, options: HeadOptions): Promise<TextSlice> {
  const start = codec.bomBytes;
  const scanner = new LineScanner(codec, start);
  const budget = new Budget(options.maxBytes);
  const wanted = options.lines ?? Number.POSITIVE_INFINITY;
  let position = start;
  // Enough for the whole budget and the line that overflows it, in one request.
  let windowBytes = Math.min(options.maxBytes + 4096, 1024 * 1024);
  let truncated = false;
  let note: string | undefined;
  let done = false;
  const take = (line: Line) => {
    if (!budget.add(line)) {
      truncated = true;
      done = true;
    } else if (budget.lines.length >= wanted) done = true;
  };
  while (!done && position < source.sizeBytes) {
    const length = Math.min(windowBytes, source.sizeBytes - position);
    const chunk = await source.read(position, length);
    position += chunk.length;
    if (chunk.length === 0) break;
    for (const line of scanner.push(chunk)) {
      take(line);
      if (done) break;
    }
    if (done) break;
    // The line in progress can't fit any more, not even cut: stop without reading it to its end.
    const minimumLineBytes = Math.min(scanner.pendingBytes, MAX_LINE_CHARS);
    if (budget.lines.length > 0 && minimumLineBytes > budget.remaining) {
      truncated = true;
      done = true;
    } else if (position - start - budget.usedBytes > SCAN_LIMIT_BYTES) {
      truncated = true;
      done = true;
      note = `Stopped scanning at byte ${position}: a line there is longer than ${SCAN_LIMIT_BYTES / 1024 / 1024} MiB. Use offset and length to read it.`;
    }
    windowBytes = Math.min(windowBytes * 2, 4 * 1024 * 1024);
  }
  if (!done) {
    const last = scanner.end();
    if (last) take(last);
  }
  const end = budget.lines.at(-1)?.next ?? start;
  return {
    text: budget.text(),
    start,
    end,
    eof: end >= source.sizeBytes,
    truncated,
    cutLines: budget.lines.filter((line) => line.cut).length,
    ...(note ? { note } : {}),
  };
}

export interface TailOptions {
  lines: number;
  maxBytes: number;
}

/** readTail's first window back from the end: a guess at what the lines take. */
export function firstTailWindowBytes(options: TailOptions): number {
  return Math.max(4096, Math.min(options.maxBytes, options.lines * 160));
}

/** The last lines of the file, reading backward in growing windows until it has them. */
export async function readTail(source: ByteSource, codec: Codec, options: TailOptions): Promise<TextSlice> {
  const floor = Math.max(codec.bomBytes, source.availableFrom ?? 0);
  let from = source.sizeBytes;
  let collected = Buffer.alloc(0);
  // Doubled until the lines are all there.
  let windowBytes = firstTailWindowBytes(options);
  let lines: Line[] = [];
  let note: string | undefined;
  for (;;) {
    const next = alignUp(Math.max(floor, from - windowBytes), codec);
    const chunk = await source.read(next, from - next);
    collected = Buffer.concat([chunk, collected]);
    from = next;
    lines = splitLines(collected, from, from <= codec.bomBytes, codec);
    if (lines.length >= options.lines || from <= floor) break;
    const shownBytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line.text) + 1, 0);
    if (shownBytes >= options.maxBytes) break;
    if (collected.length > SCAN_LIMIT_BYTES) {
      note = `Stopped scanning back at byte ${from}: a line there is longer than ${SCAN_LIMIT_BYTES / 1024 / 1024} MiB. Use offset and length to read it.`;
      break;
    }
    windowBytes *= 2;
  }
  const wanted = lines.slice(-options.lines);
  // Newest lines first into the budget, so a cut drops the oldest.
  const budget = new Budget(options.maxBytes);
  let kept = 0;
  for (let index = wanted.length - 1; index >= 0; index--) {
    const line = wanted[index];
    if (!line) break;
    if (Buffer.byteLength(line.text) + (kept > 0 ? 1 : 0) > budget.remaining && kept > 0) break;
    budget.add(line);
    kept += 1;
  }
  const shown = wanted.slice(wanted.length - kept);
  if (kept === 1 && budget.lines[0]) shown[0] = budget.lines[0];
  return {
    text: shown.map((line) => line.text).join("\n"),
    start: shown[0]?.start ?? source.sizeBytes,
    end: source.sizeBytes,
    eof: true,
    truncated: kept < options.lines && (kept < lines.length || from > floor),
    cutLines: shown.filter((line) => line.cut).length,
    ...(note ? { note } : {}),
  };
}

/**
 * The complete lines of `bytes` (which start at file offset `offset`): the first piece counts
 * only when it starts the file; a final newline does not make an empty last line.
 */
export function splitLines(bytes: Buffer, offset: number, startsFile: boolean, codec: Codec): Line[] {
  const lines: Line[] = [];
  let from = 0;
  let first = true;
  for (
    let newline = nextNewline(bytes, 0, codec);
    newline !== -1;
    newline = nextNewline(bytes, from, codec)
  ) {
    if (!first || startsFile)
      lines.push(lineOf(bytes, from, newline, offset, codec, newline + codec.unitBytes));
    first = false;
    from = newline + codec.unitBytes;
  }
  if (from < bytes.length && (!first || startsFile))
    lines.push(lineOf(bytes, from, bytes.length, offset, codec, bytes.length));
  return lines;
}

function lineOf(bytes: Buffer, from: number, to: number, offset: number, codec: Codec, next: number): Line {
  const keep = Math.min(to - from, KEEP_LINE_BYTES);
  const { text, cut } = renderLine(bytes.subarray(from, from + keep), codec, to - from);
  return { start: offset + from, next: offset + next, text, cut };
}

export interface RangeOptions {
  offset: number;
  length: number;
  maxBytes: number;
}

/** Exactly bytes [offset, offset + length), no more than maxBytes of them, decoded as they are. */
export async function readByteRange(
  source: ByteSource,
  codec: Codec,
  options: RangeOptions,
): Promise<TextSlice> {
  const start = Math.min(options.offset, source.sizeBytes);
  const wanted = Math.min(options.length, source.sizeBytes - start);
  const bytes = await source.read(start, Math.min(wanted, options.maxBytes));
  let text = decode(bytes, codec);
  // Bytes that are not valid UTF-8 decode as U+FFFD, three bytes each: still within the budget.
  let end = start + bytes.length;
  if (Buffer.byteLength(text) > options.maxBytes) {
    text = cutToBytes(text, options.maxBytes);
    end = start + (codec.unitBytes === 2 ? text.length * 2 : Buffer.byteLength(text));
  }
  return {
    text,
    start,
    end,
    eof: end >= source.sizeBytes,
    truncated: end - start < wanted,
    cutLines: 0,
  };
}

/** A ByteSource over bytes already in memory (a zip member read whole, a test). */
export function bufferSource(bytes: Buffer): ByteSource {
  return {
    sizeBytes: bytes.length,
    read: async (start, length) => bytes.subarray(start, Math.min(bytes.length, start + length)),
  };
}
