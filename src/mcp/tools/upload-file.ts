import path from "node:path";
import { z } from "zod";
import { countOf, formatBytes } from "../../units.js";
import { uploadFolder } from "../../vagon/folder-upload.js";
import {
  MAX_CHUNK_SIZE_MB,
  MIN_CHUNK_SIZE_MB,
  type UploadSource,
  uploadFile as upload,
} from "../../vagon/upload.js";
import { isWellFormedText } from "../../well-formed.js";
import { defineTool, type ToolContext, type ToolOutput } from "../kit/define-tool.js";
import { UserInputError } from "../kit/errors.js";
import * as params from "../kit/params.js";
import { createProgress } from "../kit/progress.js";
import type { CheckedPath } from "../local-paths.js";
import { excludeMatcher, walkLocalFolder } from "../local-tree.js";

/** Inline content is for small files the model writes itself; bigger ones go through local_path. */
const MAX_INLINE_BYTES = 10 * 1024 * 1024;
/** Failures and skipped links listed in one folder result; the counts cover all of them. */
const MAX_LISTED_PROBLEMS = 40;

export const uploadFile = defineTool({
  name: "upload_file",
  title: "Upload a file",
  description: `Upload a local file or folder, or given content, to Vagon Files.
Use this tool when you need to:
- put input files where a cloud machine can use them
- send a whole folder (local_path a folder; a re-run resumes)
Give local_path (inside a root) or content.`,
  inputSchema: {
    local_path: z
      .string()
      .min(1)
      .optional()
      .describe("Local file or folder to upload (inside an allowed root)."),
    content: z.string().optional().describe("File content instead of local_path (up to 10 MB)."),
    encoding: z
      .enum(["utf8", "base64"])
      .default("utf8")
      .describe("content's encoding: utf8 (default) or base64."),
    location: params.writeLocation,
    machine_id: params.machineId.optional().describe("For location 'machine'."),
    parent_id: params.parentId,
    file_name: z
      .string()
      .min(1)
      .max(255)
      .refine(isWellFormedText, { error: params.ILL_FORMED_NAME })
      .optional()
      .describe("Name in Vagon Files; default: the local name (required with content)."),
    overwrite: z.boolean().default(false).describe("Replace a same-named file (default false)."),
    content_type: params.contentType,
    chunk_size_mb: params.chunkSizeMb.describe(
      `Part size in MB (${MIN_CHUNK_SIZE_MB}–${MAX_CHUNK_SIZE_MB}).`,
    ),
    skip_existing: z.boolean().default(true).describe("Folders: skip same name + size files (default true)."),
    exclude: z
      .array(z.string().min(1).max(200))
      .max(50)
      .optional()
      .describe('Folders: globs to leave out, e.g. [".git", "*.tmp"].'),
  },
  // One file answers id..download_url; a folder answers folder_id..bytes.
  outputSchema: {
    id: z.number().optional(),
    uid: z.string().optional(),
    name: z.string().optional(),
    size: z.number().optional(),
    parts: z.number().optional(),
    download_url: z.string().nullable().optional(),
    folder_id: z.number().optional(),
    uploaded: z.number().optional(),
    skipped: z.number().optional(),
    failed: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    failed_count: z.number().optional(),
    not_sent: z.array(z.string()).optional(),
    bytes: z.number().optional(),
  },
  // Destructive only with overwrite=true, which replaces a file of the same name.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  mutating: true,
  async handler(args, context) {
    if ((args.local_path === undefined) === (args.content === undefined)) {
      throw new UserInputError(
        "Give exactly one of local_path (a file inside an allowed root) or content (the file's text or base64).",
      );
    }
    const machineId = params.machineFor(args.location, args.machine_id);
    let source: UploadSource;
    let fileName: string;
    if (args.local_path !== undefined) {
      const checked = await context.paths.checkReadableSource(args.local_path);
      if (checked.kind === "directory") return sendFolder(context, args, checked.path, machineId);
      source = { kind: "file", path: checked.path, handle: checked.handle };
      fileName = args.file_name ?? path.basename(checked.path);
    } else {
      if (!args.file_name)
        throw new UserInputError("file_name is required with content: name the file to create.");
      const bytes = decodeContent(args.content!, args.encoding);
      if (bytes.length > MAX_INLINE_BYTES) {
        throw new UserInputError(
          "Inline content is limited to 10 MB; write the file to a local root and pass local_path.",
        );
      }
      source = { kind: "bytes", bytes };
      fileName = args.file_name;
    }
    if (/[/\\\0]/.test(fileName)) {
      if (source.kind === "file") await source.handle?.close();
      throw new UserInputError("file_name can't contain slashes or NUL; give just the name.");
    }
    // mime-types carries a 150 KB database: loaded when an upload needs a guess, not at start-up.
    const contentType =
      args.content_type ?? ((await import("mime-types")).lookup(fileName) || "application/octet-stream");
    const progress = createProgress(context.extra);
    // The upload reads the checked file through its open handle, closed whatever happens.
    const closeHandle = async () => {
      if (source.kind === "file") await source.handle?.close().catch(() => {});
    };
    const result = await upload({
      client: context.client,
      source,
      fileName,
      contentType,
      parentId: args.parent_id,
      ...(machineId ? { machineId } : {}),
      overwrite: args.overwrite,
      ...(args.chunk_size_mb ? { chunkSizeMb: args.chunk_size_mb } : {}),
      concurrency: context.config.uploadConcurrency,
      signal: context.extra.signal,
      logger: context.logger,
      onProgress: (sent, total) =>
        progress.report(sent, total, `uploading ${formatBytes(sent)} of ${formatBytes(total)}`),
    }).finally(closeHandle);
    progress.finish("uploaded");
    return {
      structured: {
        id: result.id,
        uid: result.uid,
        name: result.name,
        size: result.sizeBytes,
        parts: result.parts,
        download_url: result.downloadUrl,
      },
      text:
        `Uploaded ${result.name} (${formatBytes(result.sizeBytes)}, ${result.parts} part${result.parts === 1 ? "" : "s"}) id=${result.id}` +
        (result.downloadUrl ? "; download_url in the structured result is a temporary link." : ""),
    };
  },
});

interface FolderArgs {
  parent_id: number;
  file_name?: string | undefined;
  overwrite: boolean;
  content_type?: string | undefined;
  chunk_size_mb?: number | undefined;
  skip_existing: boolean;
  exclude?: string[] | undefined;
}

async function sendFolder(
  context: ToolContext,
  args: FolderArgs,
  folder: CheckedPath,
  machineId: number | undefined,
): Promise<ToolOutput<Record<string, unknown>>> {
  const folderName = args.file_name ?? path.basename(folder);
  if (/[/\\\0]/.test(folderName))
    throw new UserInputError("file_name can't contain slashes or NUL; give just the folder's name.");
  const tree = await walkLocalFolder(folder, {
    roots: await context.paths.roots(),
    isExcluded: await excludeMatcher(args.exclude),
    signal: context.extra.signal,
  });
  const { lookup } = await import("mime-types");
  const progress = createProgress(context.extra);
  const result = await uploadFolder({
    client: context.client,
    folderName,
    directories: tree.directories,
    files: tree.files,
    parentId: args.parent_id,
    ...(machineId ? { machineId } : {}),
    skipExisting: args.skip_existing,
    overwrite: args.overwrite,
    contentTypeOf: (name) => args.content_type ?? (lookup(name) || "application/octet-stream"),
    openFile: (file) => context.paths.openTreeFile(file.path, folder),
    ...(args.chunk_size_mb ? { chunkSizeMb: args.chunk_size_mb } : {}),
    partConcurrency: context.config.uploadConcurrency,
    signal: context.extra.signal,
    logger: context.logger,
    onProgress: ({ sentBytes, totalBytes, filesDone, filesTotal }) =>
      progress.report(
        sentBytes,
        totalBytes,
        `uploading ${filesDone}/${filesTotal} files, ${formatBytes(sentBytes)} of ${formatBytes(totalBytes)}`,
      ),
  });
  progress.finish(`uploaded ${countOf(result.uploaded, "file")}`);
  const notSent = tree.skipped.map((skip) => `${skip.path} (${skip.reason})`);
  const lines = [
    `Uploaded folder ${folderName}/ id=${result.folderId}: ${result.uploaded} uploaded (${formatBytes(result.bytes)}), ${result.skipped} already there, ${result.failed.length} failed${tree.excluded ? `, ${tree.excluded} excluded` : ""}.`,
  ];
  if (result.failed.length > 0) {
    lines.push("Failed (nothing was left behind for these; call again to retry them):");
    lines.push(...listed(result.failed.map((failure) => `${failure.path}: ${failure.message}`)));
  }
  if (notSent.length > 0) {
    lines.push("Not sent:");
    lines.push(...listed(notSent));
  }
  return {
    structured: {
      folder_id: result.folderId,
      uploaded: result.uploaded,
      skipped: result.skipped,
      failed: result.failed.slice(0, MAX_LISTED_PROBLEMS),
      ...(result.failed.length > MAX_LISTED_PROBLEMS ? { failed_count: result.failed.length } : {}),
      ...(notSent.length > 0 ? { not_sent: notSent.slice(0, MAX_LISTED_PROBLEMS) } : {}),
      bytes: result.bytes,
    },
    text: lines.join("\n"),
  };
}

/** The first few problems, one line each, and how many more there were. */
function listed(lines: string[]): string[] {
  const shown = lines.slice(0, MAX_LISTED_PROBLEMS).map((line) => `  ${line}`);
  if (lines.length > MAX_LISTED_PROBLEMS) shown.push(`  … and ${lines.length - MAX_LISTED_PROBLEMS} more`);
  return shown;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** Node's base64 decoder skips what it can't read; refuse instead of uploading other bytes. */
function decodeContent(content: string, encoding: "utf8" | "base64"): Buffer {
  if (encoding === "utf8") return Buffer.from(content, "utf8");
  const compact = content.replace(/\s+/g, "");
  if (!BASE64.test(compact)) {
    throw new UserInputError(
      "content is not valid base64 (only A-Z, a-z, 0-9, +, / and = padding; no data: prefix). Encode the bytes as base64, or send text with encoding utf8.",
    );
  }
  return Buffer.from(compact, "base64");
}
