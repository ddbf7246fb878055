// zod schemas for every Vagon response, accepting both documented shapes (the current
// JSON:API-like one and the older flat revision) and normalizing them to the types in
// types.ts. Lenient with extra fields, nulls and odd types in fields nobody relies on; strict
// where a wrong value would do harm (ids, part numbers, URLs, job status).
import { z } from "zod";
import type {
  CompletedUpload,
  CreatedDirectory,
  CreatedUpload,
  DownloadJob,
  DownloadJobStatus,
  DownloadStart,
  Entry,
  FileListPage,
  Folder,
  MachineContentItem,
  StorageUsage,
} from "./types.js";

/** A body that parsed but makes no sense (no upload URLs, parts out of order, …). */
export class ResponseShapeError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(`${path.join(".")}: ${message}`);
    this.name = "ResponseShapeError";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `{id, type, attributes: {...}}` → `{id, ...attributes}`; a `{data: {...}}` envelope is opened
 * first. Flat objects pass through untouched, so one schema serves both revisions.
 */
export function unwrapResource(value: unknown): unknown {
  if (!isRecord(value)) return value;
  let resource = value;
  if (isRecord(resource.data) && !("files" in resource) && !("id" in resource)) {
    resource = copyWithout(resource, "data", "");
    Object.assign(resource, value.data);
  }
  const attributes = resource.attributes;
  if (isRecord(attributes)) {
    const flat = copyWithout(resource, "attributes", "type");
    Object.assign(flat, attributes);
    flat.id = resource.id ?? attributes.id;
    return flat;
  }
  return resource;
}

/**
 * A shallow copy minus two keys. Written as a loop: object rest (`{a, ...rest} = o`) takes a
 * slow path in V8 that made unwrapping a 5,000-entry listing cost ~100 ms instead of ~2.
 */
function copyWithout(source: Record<string, unknown>, left: string, out: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key in source) {
    if (key !== left && key !== out && Object.hasOwn(source, key)) copy[key] = source[key];
  }
  return copy;
}

/** Ids arrive as integers (older revision) or decimal strings (current one); both must be integers. */
export const idSchema = z
  .union([
    z.number().int().nonnegative(),
    z
      .string()
      .trim()
      .regex(/^\d+$/, "expected an integer id")
      .transform((text) => Number(text)),
  ])
  .refine((id) => Number.isSafeInteger(id), "expected a safe integer id");

/** An integer that may arrive as a number or a numeric string. */
const intLike = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^-?\d+$/)
      .transform(Number),
  ])
  .pipe(z.number().int());

/** Optional integer: null/missing/garbage all read as null (for fields that are informative only). */
const optionalInt = intLike.nullish().catch(null);
const optionalText = z.string().nullish().catch(null);

const presignedUrlSchema = z
  .string()
  .trim()
  .refine((url) => URL.canParse(url), "expected an absolute URL");

// ---------------------------------------------------------------- files listings

const rawEntrySchema = z.object({
  id: idSchema,
  name: z.string(),
  size: optionalInt,
  content_type: optionalText,
  object_type: optionalText,
  path: optionalText,
  parent_id: optionalInt,
  last_modified_date: optionalText,
  status: optionalText,
  file_storage_size: optionalInt,
  file_storage_usage: optionalInt,
  // undefined (absent: older revision) is kept apart from null (sent as null).
  machine_id: intLike.nullish().catch(null),
});
type RawEntry = z.infer<typeof rawEntrySchema>;

export const entrySchema = z.preprocess(unwrapResource, rawEntrySchema);

// The folder being listed. The older revision sends a partial object at the root
// ({id: 0, name, object_type, uid}), so everything but the id is optional.
const rawFolderSchema = z.object({
  id: idSchema,
  name: z.string().nullish().catch(null),
  path: optionalText,
  object_type: optionalText,
  file_storage_size: optionalInt,
  file_storage_usage: optionalInt,
});
type RawFolder = z.infer<typeof rawFolderSchema>;

export const listFilesResponseSchema = z.object({
  files: z.array(entrySchema),
  current: z.preprocess(unwrapResource, rawFolderSchema).nullish(),
  count: optionalInt,
  page: optionalInt,
  next_page: optionalInt,
});

function isDirectory(raw: { object_type?: string | null; content_type?: string | null }): boolean {
  const objectType = raw.object_type?.toLowerCase();
  return (
    objectType === "directory" || objectType === "root" || raw.content_type?.toLowerCase() === "directory"
  );
}

export interface EntryDefaults {
  /** Filled in when the item carries no machine_id at all (the flat revision omits it). */
  machineId?: number;
}

/**
 * Directories normalize to size null and content_type null: one revision sends 0 and
 * "directory", the other null and null, and neither is a real size or MIME type.
 */
export function toEntry(raw: RawEntry, defaults: EntryDefaults = {}): Entry {
  const directory = isDirectory(raw);
  return {
    id: raw.id,
    name: raw.name,
    kind: directory ? "directory" : "file",
    size: directory ? null : (raw.size ?? null),
    content_type: directory ? null : (raw.content_type ?? null),
    modified: raw.last_modified_date ?? null,
    path: storagePath(raw.path),
    status: raw.status ?? "unknown",
    machine_id: raw.machine_id === undefined ? (defaults.machineId ?? null) : raw.machine_id,
  };
}

function storageOf(item: { file_storage_size?: number | null; file_storage_usage?: number | null }) {
  const total = item.file_storage_size;
  const used = item.file_storage_usage;
  if (typeof total !== "number" || typeof used !== "number") return null;
  return { usedBytes: used, totalBytes: total } satisfies StorageUsage;
}

/**
 * Storage paths in the current revision's form: the older one drops the leading slash
 * ("project-files" vs "/Project Folder"), so one is added.
 */
function storagePath(path: string | null | undefined): string | null {
  if (!path) return null;
  return path.startsWith("/") ? path : `/${path}`;
}

/**
 * A location's root reads as id 0, as the older revision sends it and as callers pass it
 * (parent_id 0 = root); the current revision's real root id means the same folder.
 */
function toFolder(raw: RawFolder, listedRoot: boolean): Folder {
  const isRoot = raw.id === 0 || (listedRoot && raw.object_type === "root");
  return { id: isRoot ? 0 : raw.id, name: raw.name ?? "", path: storagePath(raw.path) };
}

// Entries in their plain form, read without zod. A 50,000-entry walk through entrySchema
// allocated ~5 KB per entry (wrappers of union, pipe, catch and nullish for each field), and that
// garbage, not anything kept, set the server's peak RSS. Only values the schema would pass through
// unchanged are taken here; anything else (odd types, spaces around ids, an envelope) answers
// undefined and goes to entrySchema, so the result is the schema's own (property-tested).

/** A field entrySchema reads as itself; FALLBACK when it would convert, catch or refuse it. */
const FALLBACK = Symbol("fallback");

function plainText(value: unknown): string | null | undefined | typeof FALLBACK {
  return value === undefined || value === null || typeof value === "string" ? value : FALLBACK;
}

function plainInt(value: unknown): number | null | undefined | typeof FALLBACK {
  return value === undefined || value === null || Number.isSafeInteger(value)
    ? (value as number | null | undefined)
    : FALLBACK;
}

function plainId(value: unknown): number | typeof FALLBACK {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : FALLBACK;
  if (typeof value !== "string" || value.length === 0 || value.length > 15) return FALLBACK;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 48 || code > 57) return FALLBACK;
  }
  return Number(value);
}

/** unwrapResource's view of one field: the attributes over the resource's own fields. */
function fieldOf(
  item: Record<string, unknown>,
  attributes: Record<string, unknown> | null,
  key: string,
): unknown {
  return attributes !== null && Object.hasOwn(attributes, key) ? attributes[key] : item[key];
}

/** What entrySchema.parse(item) gives, or undefined when only the schema can say. */
export function readPlainEntry(item: unknown): RawEntry | undefined {
  if (!isRecord(item)) return undefined;
  const attributes = isRecord(item.attributes) ? item.attributes : null;
  // A {data: {...}} envelope is opened by unwrapResource first: the schema's case.
  if (isRecord(item.data) && !("files" in item) && !("id" in item)) return undefined;
  // The resource's id first, as unwrapResource takes it.
  const id = plainId(attributes !== null ? (item.id ?? attributes.id) : item.id);
  const name = fieldOf(item, attributes, "name");
  const size = plainInt(fieldOf(item, attributes, "size"));
  const contentType = plainText(fieldOf(item, attributes, "content_type"));
  const objectType = plainText(fieldOf(item, attributes, "object_type"));
  const path = plainText(fieldOf(item, attributes, "path"));
  const parentId = plainInt(fieldOf(item, attributes, "parent_id"));
  const modified = plainText(fieldOf(item, attributes, "last_modified_date"));
  const status = plainText(fieldOf(item, attributes, "status"));
  const storageSize = plainInt(fieldOf(item, attributes, "file_storage_size"));
  const storageUsage = plainInt(fieldOf(item, attributes, "file_storage_usage"));
  const machineId = plainInt(fieldOf(item, attributes, "machine_id"));
  if (
    typeof name !== "string" ||
    id === FALLBACK ||
    size === FALLBACK ||
    contentType === FALLBACK ||
    objectType === FALLBACK ||
    path === FALLBACK ||
    parentId === FALLBACK ||
    modified === FALLBACK ||
    status === FALLBACK ||
    storageSize === FALLBACK ||
    storageUsage === FALLBACK ||
    machineId === FALLBACK
  )
    return undefined;
  return {
    id,
    name,
    size,
    content_type: contentType,
    object_type: objectType,
    path,
    parent_id: parentId,
    last_modified_date: modified,
    status,
    file_storage_size: storageSize,
    file_storage_usage: storageUsage,
    machine_id: machineId,
  };
}

const listEnvelopeSchema = listFilesResponseSchema.extend({ files: z.array(z.unknown()) });

export function parseFileListPage(
  body: unknown,
  context: { requestedPage?: number; requestedParentId?: number; defaults?: EntryDefaults } = {},
): FileListPage {
  const envelope = listEnvelopeSchema.parse(body);
  const files = envelope.files.map((item) => {
    const plain = readPlainEntry(item);
    if (plain) return plain;
    const parsed = entrySchema.safeParse(item);
    if (parsed.success) return parsed.data;
    // Thrown as the whole schema reports it, with the entry's index in the path.
    listFilesResponseSchema.parse(body);
    throw parsed.error;
  });
  const parsed = { ...envelope, files };
  const entries = parsed.files.map((raw) => toEntry(raw, context.defaults));
  // Quota: the listed root reports it; failing that, root-level items do (older revision:
  // every item of a machine listing carries the machine's totals). Looked for in place: most
  // pages have none, and a walk reads thousands of them.
  let storage = parsed.current ? storageOf(parsed.current) : null;
  for (const roots of [true, false]) {
    for (const raw of parsed.files) {
      if (storage) break;
      if ((raw.object_type === "root") === roots) storage = storageOf(raw);
    }
  }
  return {
    entries,
    folder: parsed.current ? toFolder(parsed.current, !context.requestedParentId) : null,
    total: parsed.count ?? entries.length,
    page: parsed.page ?? context.requestedPage ?? 1,
    nextPage: parsed.next_page ?? null,
    storage,
  };
}

// ---------------------------------------------------------------- live machine disk

const rawContentItemSchema = z
  .object({
    name: z.string().nullish().catch(null),
    path: z.string().nullish().catch(null),
    is_directory: z.boolean().nullish().catch(null),
    type: optionalText,
    size: optionalInt,
  })
  .refine((item) => Boolean(item.name || item.path), "an item needs a name or a path");

const contentSchema = z.preprocess(
  // The older revision says the format "depends on the machine's file system API": accept an
  // object wrapping the list as well as the list itself.
  (value) => (isRecord(value) ? (Object.values(value).find(Array.isArray) ?? []) : value),
  z.array(rawContentItemSchema),
);

export const listContentResponseSchema = z.object({ content: contentSchema.nullish() });

function lastSegment(windowsPath: string): string {
  const parts = windowsPath.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? windowsPath;
}

export function parseMachineContent(body: unknown, listedPath: string): MachineContentItem[] {
  const parsed = listContentResponseSchema.parse(body);
  return (parsed.content ?? []).map((item) => {
    const directory =
      item.is_directory === true || ["directory", "dir", "folder"].includes(item.type?.toLowerCase() ?? "");
    const name = item.name || lastSegment(item.path ?? "");
    const path = item.path || `${listedPath.replace(/\\+$/, "")}\\${name}`;
    return {
      name,
      path,
      kind: directory ? "directory" : "file",
      size: directory ? null : (item.size ?? null),
    };
  });
}

// ---------------------------------------------------------------- create / complete

const uploadUrlSchema = z.object({
  part_number: intLike.pipe(z.number().int().positive()),
  url: presignedUrlSchema,
});

export const createResponseSchema = z.preprocess(
  unwrapResource,
  z.object({
    id: idSchema,
    uid: z
      .union([z.string(), z.number().transform(String)])
      .nullish()
      .catch(null),
    upload_urls: z.array(uploadUrlSchema).nullish(),
    chunk_size: optionalInt,
  }),
);

export function parseCreatedUpload(body: unknown, requestedChunkSizeMb?: number): CreatedUpload {
  const parsed = createResponseSchema.parse(body);
  if (!parsed.upload_urls) {
    throw new ResponseShapeError(["upload_urls"], "a file entry came back without upload URLs");
  }
  const uploadUrls = parsed.upload_urls
    .map((item) => ({ partNumber: item.part_number, url: item.url }))
    .sort((a, b) => a.partNumber - b.partNumber);
  uploadUrls.forEach((item, index) => {
    if (item.partNumber !== index + 1) {
      throw new ResponseShapeError(["upload_urls", index], "part numbers must run 1, 2, 3, …");
    }
  });
  return {
    id: parsed.id,
    uid: parsed.uid ?? "",
    chunkSizeMb: parsed.chunk_size ?? requestedChunkSizeMb ?? 250,
    uploadUrls,
  };
}

export function parseCreatedDirectory(body: unknown): CreatedDirectory {
  const parsed = createResponseSchema.parse(body);
  return { id: parsed.id, uid: parsed.uid ?? null };
}

export const completeResponseSchema = z.preprocess(
  unwrapResource,
  z.object({
    uid: z
      .union([z.string(), z.number().transform(String)])
      .nullish()
      .catch(null),
    download_url: z.string().nullish().catch(null),
  }),
);

export function parseCompletedUpload(body: unknown): CompletedUpload {
  const parsed = completeResponseSchema.parse(body);
  return { uid: parsed.uid ?? "", downloadUrl: parsed.download_url || null };
}

// ---------------------------------------------------------------- downloads

export const downloadStartResponseSchema = z.preprocess(
  unwrapResource,
  z.object({
    url: z.string().nullish(),
    size: optionalInt,
    name: optionalText,
    content_type: optionalText,
    download_id: idSchema.nullish(),
  }),
);

/** A usable `url` means the file is ready (one file); otherwise a zip job id must be there. */
export function parseDownloadStart(body: unknown): DownloadStart {
  const parsed = downloadStartResponseSchema.parse(body);
  if (parsed.url) {
    if (!URL.canParse(parsed.url)) {
      throw new ResponseShapeError(["url"], "expected an absolute URL");
    }
    return {
      kind: "link",
      url: parsed.url,
      sizeBytes: parsed.size ?? null,
      name: parsed.name ?? null,
      contentType: parsed.content_type ?? null,
    };
  }
  if (parsed.download_id === null || parsed.download_id === undefined) {
    throw new ResponseShapeError(["download_id"], "neither url nor download_id was sent");
  }
  return {
    kind: "job",
    downloadId: parsed.download_id,
    sizeBytes: parsed.size ?? null,
    name: parsed.name ?? null,
  };
}

const jobStatusSchema = z
  .string()
  .trim()
  .toLowerCase()
  .transform((status) => (status === "canceled" ? "cancelled" : status))
  .pipe(z.enum(["pending", "processing", "uploaded", "failed", "cancelled"]));

export const downloadJobResponseSchema = z.preprocess(
  unwrapResource,
  z.object({
    // The docs' example id is the placeholder "string"; the id asked for is authoritative.
    id: idSchema.nullish().catch(null),
    status: jobStatusSchema,
    download_url: z.string().nullish().catch(null),
    expires_at: optionalText,
    size: optionalInt,
  }),
);

export function parseDownloadJob(body: unknown, requestedDownloadId: number): DownloadJob {
  const parsed = downloadJobResponseSchema.parse(body);
  const status: DownloadJobStatus = parsed.status;
  return {
    downloadId: parsed.id ?? requestedDownloadId,
    status,
    url: parsed.download_url || null,
    expiresAt: parsed.expires_at ?? null,
    sizeBytes: parsed.size ?? null,
  };
}

// ---------------------------------------------------------------- envelopes and errors

/** The `client_code`/`message` envelope every answer (success or error) carries. */
export const envelopeSchema = z.object({
  client_code: intLike.nullish().catch(null),
  message: z.unknown().optional(),
  error: z.unknown().optional(),
  errors: z.unknown().optional(),
});

/** Reads the code and a human message from any error body; never throws. */
export function parseEnvelope(body: unknown): { clientCode: number | null; message: string | null } {
  const parsed = envelopeSchema.safeParse(isRecord(body) ? body : {});
  if (!parsed.success) return { clientCode: null, message: null };
  const texts: string[] = [];
  const collect = (value: unknown) => {
    if (typeof value === "string" && value.trim()) texts.push(value.trim());
    else if (Array.isArray(value)) value.forEach(collect);
    else if (isRecord(value)) {
      for (const key of ["message", "detail", "title", "error"]) collect(value[key]);
    }
  };
  collect(parsed.data.message);
  collect(parsed.data.error);
  collect(parsed.data.errors);
  const unique = [...new Set(texts)];
  return {
    clientCode: parsed.data.client_code ?? null,
    message: unique.length > 0 ? unique.join("; ") : null,
  };
}

/** A compact, value-free summary of why a body didn't match (paths and reasons only). */
export function describeSchemaError(error: unknown): string {
  if (error instanceof z.ZodError) {
    return error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "body"}: ${issue.message}`)
      .join("; ");
  }
  return error instanceof Error ? error.message : String(error);
}
