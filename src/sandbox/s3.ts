// The S3 side of the sandbox: presigned URLs, multipart part uploads and object downloads.
// Bytes only ever live on disk and move as streams, so multi-GB transfers stay flat in memory.
// An object is kept as the ordered list of its part files ("segments"): completing an upload
// is then a bookkeeping step, not a second copy of every byte, and reads stream the segments
// back to back.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  ftruncateSync,
  openSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { mkdir, rename, rm, unlink } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

export const BUCKET = "vagon-files-sandbox";
export const S3_PATH_PREFIX = `/s3/${BUCKET}/`;
/** S3's own limit for one part. */
const MAX_PART_BYTES = 5 * 1024 ** 3;
const READ_CHUNK_BYTES = 1024 * 1024;
/** Objects up to this size written by the helpers go to one append-only pack file: one write each, no file creation. */
const PACK_LIMIT_BYTES = 1024 * 1024;

export interface ObjectSegment {
  path: string;
  /** Where the segment starts in its file (non-zero inside the small-object pack). */
  offset: number;
  sizeBytes: number;
  /** Part of the shared pack file: never removed on its own. */
  packed: boolean;
}

export interface StoredObject {
  key: string;
  segments: ObjectSegment[];
  sizeBytes: number;
  contentType: string;
  fileName: string;
  etag: string;
  modifiedAtMs: number;
}

interface StoredPart {
  path: string;
  sizeBytes: number;
  etag: string;
}

interface MultipartUpload {
  key: string;
  parts: Map<number, StoredPart>;
}

/** Reports the answer's HTTP status to the request log the moment it is decided. */
export type StatusReporter = (status: number) => void;

// ---------------------------------------------------------------------------------------------
// Presigned URLs

export interface PresignInput {
  method: "GET" | "PUT";
  key: string;
  expiresInSeconds: number;
  uploadId?: string;
  partNumber?: number;
}

type PresignVerdict =
  | { ok: true; uploadId: string | null; partNumber: number | null }
  | { ok: false; code: string; message: string };

function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

function parseAmzDate(value: string): number | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second);
}

/**
 * Signs URLs with a key that never leaves the process. The signature covers the method, the
 * object key, the multipart ids, the date and the lifetime, so any edit of the URL breaks it.
 */
export class Presigner {
  private readonly signingKey = randomBytes(32);

  constructor(
    private readonly origin: () => string,
    private readonly clock: () => number,
  ) {}

  sign(input: PresignInput): string {
    const date = amzDate(this.clock());
    const expires = String(Math.max(1, Math.ceil(input.expiresInSeconds)));
    const params = new URLSearchParams();
    if (input.partNumber !== undefined) params.set("partNumber", String(input.partNumber));
    if (input.uploadId !== undefined) params.set("uploadId", input.uploadId);
    params.set("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    params.set("X-Amz-Credential", `SANDBOXACCESSKEY/${date.slice(0, 8)}/eu-west-1/s3/aws4_request`);
    params.set("X-Amz-Date", date);
    params.set("X-Amz-Expires", expires);
    params.set("X-Amz-SignedHeaders", "host");
    params.set(
      "X-Amz-Signature",
      this.signature(
        input.method,
        input.key,
        input.uploadId ?? "",
        String(input.partNumber ?? ""),
        date,
        expires,
      ),
    );
    return `${this.origin()}${S3_PATH_PREFIX}${input.key}?${params.toString()}`;
  }

  verify(method: string, key: string, query: URLSearchParams): PresignVerdict {
    const date = query.get("X-Amz-Date");
    const expires = query.get("X-Amz-Expires");
    const signature = query.get("X-Amz-Signature");
    if (!date || !expires || !signature) {
      return {
        ok: false,
        code: "AccessDenied",
        message:
          "Query-string authentication requires the X-Amz-Date, X-Amz-Expires and X-Amz-Signature parameters",
      };
    }
    const uploadId = query.get("uploadId");
    const partNumber = query.get("partNumber");
    const expected = Buffer.from(
      this.signature(method, key, uploadId ?? "", partNumber ?? "", date, expires),
    );
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return {
        ok: false,
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided.",
      };
    }
    const signedAtMs = parseAmzDate(date);
    if (signedAtMs === null || this.clock() > signedAtMs + Number(expires) * 1000) {
      return { ok: false, code: "AccessDenied", message: "Request has expired" };
    }
    return { ok: true, uploadId, partNumber: partNumber === null ? null : Number(partNumber) };
  }

  private signature(...parts: string[]): string {
    return createHmac("sha256", this.signingKey).update(parts.join("\n")).digest("hex");
  }
}

// ---------------------------------------------------------------------------------------------
// Object and part storage

export class ObjectStore {
  readonly objects = new Map<string, StoredObject>();
  /** Body bytes sent by object GETs, per object key, so tests can check what a reader fetched. */
  readonly servedBytes = new Map<string, number>();
  /** Object GETs whose body is still being sent, per object key: a test sees a reader stop. */
  readonly readsInFlight = new Map<string, number>();
  private readonly uploads = new Map<string, MultipartUpload>();
  private readonly objectsDir: string;
  private readonly partsDir: string;
  private readonly tmpDir: string;
  private readonly packPath: string;
  private packFd: number | null = null;
  private packSizeBytes = 0;
  private readonly zerosPath: string;
  private zerosSizeBytes = 0;

  constructor(
    dataDir: string,
    private readonly clock: () => number,
  ) {
    this.objectsDir = join(dataDir, "objects");
    this.partsDir = join(dataDir, "parts");
    this.tmpDir = join(dataDir, "tmp");
    this.packPath = join(this.objectsDir, "small-objects.pack");
    this.zerosPath = join(this.objectsDir, "zeros.sparse");
  }

  async init(): Promise<void> {
    await Promise.all(
      [this.objectsDir, this.partsDir, this.tmpDir].map((dir) => mkdir(dir, { recursive: true })),
    );
  }

  /**
   * Writes an object in one go (seed data and test helpers): small ones are appended to the
   * pack file (thousands per second even on slow disks), larger ones get their own file.
   */
  putObject(key: string, content: Buffer, contentType: string, fileName: string): StoredObject {
    let segment: ObjectSegment;
    if (content.length <= PACK_LIMIT_BYTES) {
      this.packFd ??= openSync(this.packPath, "a");
      segment = { path: this.packPath, offset: this.packSizeBytes, sizeBytes: content.length, packed: true };
      if (content.length > 0) writeSync(this.packFd, content);
      this.packSizeBytes += content.length;
    } else {
      const path = join(this.objectsDir, `${randomUUID()}.bin`);
      writeFileSync(path, content);
      segment = { path, offset: 0, sizeBytes: content.length, packed: false };
    }
    return this.#register({
      key,
      segments: [segment],
      sizeBytes: content.length,
      contentType,
      fileName,
      etag: `"${createHash("md5").update(content).digest("hex")}"`,
    });
  }

  /**
   * An object of `sizeBytes` zero bytes that takes no disk: a slice of one sparse file, grown as
   * needed. Seed data and generated organizations declare GB-sized files this way; reads
   * return real (zero) bytes of the declared length.
   */
  putZeros(key: string, sizeBytes: number, contentType: string, fileName: string): StoredObject {
    if (sizeBytes > this.zerosSizeBytes) {
      const fd = openSync(this.zerosPath, "a");
      try {
        ftruncateSync(fd, sizeBytes);
      } finally {
        closeSync(fd);
      }
      this.zerosSizeBytes = sizeBytes;
    }
    return this.#register({
      key,
      segments: [{ path: this.zerosPath, offset: 0, sizeBytes, packed: true }],
      sizeBytes,
      contentType,
      fileName,
      etag: `"${createHash("md5").update(`zeros:${sizeBytes}`).digest("hex")}"`,
    });
  }

  /** Adopts a finished file on disk (a zip archive) as an object. */
  adoptFile(
    key: string,
    path: string,
    sizeBytes: number,
    contentType: string,
    fileName: string,
  ): StoredObject {
    return this.#register({
      key,
      segments: [{ path, offset: 0, sizeBytes, packed: false }],
      sizeBytes,
      contentType,
      fileName,
      etag: `"${createHash("md5").update(key).digest("hex")}"`,
    });
  }

  /** Every way an object comes to be (stored, zeros, adopted, completed) ends here. */
  #register(object: Omit<StoredObject, "modifiedAtMs">): StoredObject {
    const stored: StoredObject = { ...object, modifiedAtMs: this.clock() };
    this.objects.set(stored.key, stored);
    return stored;
  }

  deleteObject(key: string): void {
    const object = this.objects.get(key);
    if (!object) return;
    this.objects.delete(key);
    // S3 removes the bytes in the background; the entry is already gone for readers.
    setImmediate(() =>
      removeFiles(object.segments.filter((segment) => !segment.packed).map((segment) => segment.path)),
    );
  }

  close(): void {
    if (this.packFd !== null) closeSync(this.packFd);
    this.packFd = null;
  }

  createUpload(key: string): string {
    const uploadId = randomBytes(24).toString("base64url");
    this.uploads.set(uploadId, { key, parts: new Map() });
    return uploadId;
  }

  hasUpload(uploadId: string): boolean {
    return this.uploads.has(uploadId);
  }

  getPart(uploadId: string, partNumber: number): StoredPart | undefined {
    return this.uploads.get(uploadId)?.parts.get(partNumber);
  }

  abortUpload(uploadId: string): void {
    const upload = this.uploads.get(uploadId);
    if (!upload) return;
    this.uploads.delete(uploadId);
    setImmediate(() => removeFiles([...upload.parts.values()].map((part) => part.path)));
  }

  /** Turns parts 1..partCount into one object; the caller has checked that all are present. */
  completeUpload(uploadId: string, partCount: number, contentType: string, fileName: string): StoredObject {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new Error(`unknown upload ${uploadId}`);
    const segments: ObjectSegment[] = [];
    const md5s: Buffer[] = [];
    for (let partNumber = 1; partNumber <= partCount; partNumber++) {
      const part = upload.parts.get(partNumber);
      if (!part) throw new Error(`part ${partNumber} missing`);
      segments.push({ path: part.path, offset: 0, sizeBytes: part.sizeBytes, packed: false });
      md5s.push(Buffer.from(part.etag.replaceAll('"', ""), "hex"));
      upload.parts.delete(partNumber);
    }
    this.uploads.delete(uploadId);
    // Parts beyond partCount were never asked for; drop their bytes.
    removeFiles([...upload.parts.values()].map((part) => part.path));
    const sizeBytes = segments.reduce((sum, segment) => sum + segment.sizeBytes, 0);
    // S3's multipart ETag: MD5 of the concatenated part MD5s, then "-<part count>".
    const etag = `"${createHash("md5").update(Buffer.concat(md5s)).digest("hex")}-${partCount}"`;
    return this.#register({
      key: upload.key,
      segments,
      sizeBytes,
      contentType,
      fileName,
      etag,
    });
  }

  /** Streams a part body to disk while hashing it; never holds more than a chunk in memory. */
  async writePart(uploadId: string, partNumber: number, source: Readable): Promise<StoredPart | null> {
    const tmpPath = join(this.tmpDir, `${randomUUID()}.part`);
    const hash = createHash("md5");
    let sizeBytes = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(source, hasher, createWriteStream(tmpPath, { highWaterMark: READ_CHUNK_BYTES }));
    } catch (error) {
      await unlink(tmpPath).catch(() => undefined);
      throw error;
    }
    const upload = this.uploads.get(uploadId);
    if (!upload) {
      // Completed or aborted while this part was in flight.
      await unlink(tmpPath).catch(() => undefined);
      return null;
    }
    const partPath = join(this.partsDir, `${randomUUID()}.part`);
    await rename(tmpPath, partPath);
    const part: StoredPart = { path: partPath, sizeBytes, etag: `"${hash.digest("hex")}"` };
    const stillOpen = this.uploads.get(uploadId);
    if (!stillOpen) {
      await unlink(partPath).catch(() => undefined);
      return null;
    }
    const previous = stillOpen.parts.get(partNumber);
    stillOpen.parts.set(partNumber, part);
    if (previous) removeFiles([previous.path]);
    return part;
  }

  /** Bytes start..end (inclusive) of an object, read segment after segment. */
  openRange(object: StoredObject, start: number, end: number): Readable {
    if (end < start || object.sizeBytes === 0) return Readable.from([]);
    const only = object.segments.length === 1 ? object.segments[0] : undefined;
    if (only) {
      return createReadStream(only.path, {
        start: only.offset + start,
        end: only.offset + end,
        highWaterMark: READ_CHUNK_BYTES,
      });
    }
    const segments = object.segments;
    async function* readSegments(): AsyncGenerator<Buffer> {
      let offset = 0;
      for (const segment of segments) {
        const segmentStart = offset;
        const segmentEnd = offset + segment.sizeBytes - 1;
        offset += segment.sizeBytes;
        if (segment.sizeBytes === 0 || segmentEnd < start || segmentStart > end) continue;
        const from = Math.max(start, segmentStart) - segmentStart;
        const to = Math.min(end, segmentEnd) - segmentStart;
        yield* createReadStream(segment.path, {
          start: segment.offset + from,
          end: segment.offset + to,
          highWaterMark: READ_CHUNK_BYTES,
        });
      }
    }
    return Readable.from(readSegments(), { objectMode: false });
  }

  async readAll(object: StoredObject): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.openRange(object, 0, object.sizeBytes - 1)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
}

/** Counts the body bytes of object GETs as they are handed to the socket (ObjectStore.servedBytes). */
function countServedBytes(store: ObjectStore, key: string): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      store.servedBytes.set(key, (store.servedBytes.get(key) ?? 0) + chunk.length);
      callback(null, chunk);
    },
  });
}

function removeFiles(paths: string[]): void {
  for (const path of paths) rm(path, { force: true }).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------
// HTTP handlers

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function sendS3Error(
  res: ServerResponse,
  report: StatusReporter,
  status: number,
  code: string,
  message: string,
  extraHeaders: Record<string, string> = {},
): void {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code>` +
    `<Message>${xmlEscape(message)}</Message><RequestId>${randomBytes(8).toString("hex").toUpperCase()}</RequestId>` +
    "<HostId>vagon-sandbox</HostId></Error>";
  report(status);
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": "application/xml",
    "Content-Length": Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}

function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

type ByteRange = { start: number; end: number } | "unsatisfiable" | null;

/** Single ranges only, like S3; anything it can't parse means "the whole object". */
function parseRange(header: string | undefined, sizeBytes: number): ByteRange {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || sizeBytes === 0) return "unsatisfiable";
    return { start: Math.max(0, sizeBytes - suffix), end: sizeBytes - 1 };
  }
  const start = Number(first);
  if (start >= sizeBytes) return "unsatisfiable";
  const end = last === "" ? sizeBytes - 1 : Math.min(Number(last), sizeBytes - 1);
  if (end < start) return null;
  return { start, end };
}

export interface S3HandlerDeps {
  store: ObjectStore;
  presigner: Presigner;
  /** Per-connection throughput cap (bytes/s) read at the start of each transfer; null = none. */
  bandwidth: { bytesPerSecond: number | null };
}

/**
 * Paces a stream to `bytesPerSecond`, as S3 paces each connection: a chunk passes once it and the
 * bytes before it would have taken that long (a small body takes its time too). One request is
 * one connection's transfer here.
 */
export function throttle(bytesPerSecond: number): Transform {
  const startedAt = performance.now();
  let passedBytes = 0;
  return new Transform({
    highWaterMark: READ_CHUNK_BYTES,
    transform(chunk: Buffer, _encoding, callback) {
      passedBytes += chunk.length;
      const dueAt = startedAt + (passedBytes / bytesPerSecond) * 1000;
      const waitMs = dueAt - performance.now();
      if (waitMs <= 1) callback(null, chunk);
      else setTimeout(() => callback(null, chunk), waitMs);
    },
  });
}

/** `source` through the cap when one is set. */
function paced(deps: S3HandlerDeps, source: Readable): Readable {
  const cap = deps.bandwidth.bytesPerSecond;
  if (!cap) return source;
  const pacer = throttle(cap);
  source.on("error", (error) => pacer.destroy(error));
  return source.pipe(pacer);
}

function objectKeyOf(path: string): string {
  return path.slice(S3_PATH_PREFIX.length);
}

/** PUT of one multipart part to its presigned URL. */
export async function handlePartPut(
  deps: S3HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  report: StatusReporter,
): Promise<void> {
  const verdict = deps.presigner.verify("PUT", objectKeyOf(path), query);
  if (!verdict.ok) return sendS3Error(res, report, 403, verdict.code, verdict.message);
  if (verdict.uploadId === null || verdict.partNumber === null) {
    return sendS3Error(res, report, 400, "InvalidRequest", "Only multipart part uploads are supported here");
  }
  if (!deps.store.hasUpload(verdict.uploadId)) {
    return sendS3Error(
      res,
      report,
      404,
      "NoSuchUpload",
      "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    );
  }
  const contentLength = req.headers["content-length"];
  const transferEncoding = req.headers["transfer-encoding"];
  if (contentLength === undefined && transferEncoding !== undefined) {
    return sendS3Error(
      res,
      report,
      501,
      "NotImplemented",
      "A header you provided implies functionality that is not implemented",
      { "x-amz-missing-header": "Content-Length" },
    );
  }
  if (contentLength === undefined) {
    return sendS3Error(
      res,
      report,
      411,
      "MissingContentLength",
      "You must provide the Content-Length HTTP header.",
    );
  }
  if (Number(contentLength) > MAX_PART_BYTES) {
    return sendS3Error(
      res,
      report,
      400,
      "EntityTooLarge",
      "Your proposed upload exceeds the maximum allowed size",
    );
  }

  let part: StoredPart | null;
  try {
    part = await deps.store.writePart(verdict.uploadId, verdict.partNumber, paced(deps, req));
  } catch {
    // The client went away mid-body: nothing to answer.
    if (!res.destroyed)
      sendS3Error(
        res,
        report,
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
      );
    return;
  }
  if (!part) {
    return sendS3Error(
      res,
      report,
      404,
      "NoSuchUpload",
      "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    );
  }
  report(200);
  res.writeHead(200, { ETag: part.etag, "Content-Length": 0 });
  res.end();
}

/** GET of an object through its presigned URL, with single-range support for resumed downloads. */
export async function handleObjectGet(
  deps: S3HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  options: { truncate: boolean; report: StatusReporter },
): Promise<void> {
  const { report } = options;
  const verdict = deps.presigner.verify(req.method ?? "GET", objectKeyOf(path), query);
  if (!verdict.ok) return sendS3Error(res, report, 403, verdict.code, verdict.message);
  const object = deps.store.objects.get(objectKeyOf(path));
  if (!object) return sendS3Error(res, report, 404, "NoSuchKey", "The specified key does not exist.");

  const range = parseRange(req.headers.range, object.sizeBytes);
  if (range === "unsatisfiable") {
    return sendS3Error(res, report, 416, "InvalidRange", "The requested range is not satisfiable", {
      "Content-Range": `bytes */${object.sizeBytes}`,
    });
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? object.sizeBytes - 1;
  const lengthBytes = Math.max(0, end - start + 1);
  const headers: Record<string, string | number> = {
    "Content-Type": object.contentType,
    "Content-Length": lengthBytes,
    ETag: object.etag,
    "Last-Modified": new Date(object.modifiedAtMs).toUTCString(),
    "Accept-Ranges": "bytes",
    "Content-Disposition": contentDisposition(object.fileName),
  };
  const status = range ? 206 : 200;
  if (range) headers["Content-Range"] = `bytes ${start}-${end}/${object.sizeBytes}`;
  report(status);
  res.writeHead(status, headers);
  const reads = deps.store.readsInFlight;
  reads.set(object.key, (reads.get(object.key) ?? 0) + 1);
  try {
    await sendObjectBody(deps, res, object, start, end, options.truncate);
  } finally {
    reads.set(object.key, (reads.get(object.key) ?? 1) - 1);
  }
}

/** The body of an object GET: bytes [start, end], or half of them and a cut connection (a fault). */
async function sendObjectBody(
  deps: S3HandlerDeps,
  res: ServerResponse,
  object: StoredObject,
  start: number,
  end: number,
  truncate: boolean,
): Promise<void> {
  const lengthBytes = Math.max(0, end - start + 1);
  if (truncate && lengthBytes > 1) {
    // Full Content-Length announced, half the bytes sent, then the connection is cut.
    const sentBytes = Math.floor(lengthBytes / 2);
    try {
      await pipeline(
        paced(deps, deps.store.openRange(object, start, start + sentBytes - 1)),
        countServedBytes(deps.store, object.key),
        res,
        { end: false },
      );
    } catch {
      // client gone
    }
    const socket = res.socket;
    if (socket) socket.end(() => socket.destroy());
    return;
  }
  try {
    await pipeline(
      paced(deps, deps.store.openRange(object, start, end)),
      countServedBytes(deps.store, object.key),
      res,
    );
  } catch {
    // Client went away mid-download (or a range read failed): the socket is already torn down.
    res.destroy();
  }
}
