import { z } from "zod";
import { formatBytes, groupDigits } from "../../units.js";
import { chooseChunkSizeMb, MAX_CHUNK_SIZE_MB, MIN_CHUNK_SIZE_MB, planParts } from "../../vagon/upload.js";
import { isWellFormedText } from "../../well-formed.js";
import { estimateTokens, OUTPUT_BUDGET_TOKENS } from "../kit/budget.js";
import { defineTool } from "../kit/define-tool.js";
import { UserInputError } from "../kit/errors.js";
import * as params from "../kit/params.js";
import { presignedExpiry } from "../transfer/downloads.js";
import {
  DEFAULT_LINK_PARTS,
  linkInstructions,
  MAX_LINK_PARTS,
  rememberLink,
} from "../transfer/upload-links.js";

const MIB = 1024 * 1024;

export const createUploadLink = defineTool({
  name: "create_upload_link",
  title: "Create upload links",
  description: `Start an upload whose bytes you send yourself: part URLs with byte ranges and a shell command per part that prints its ETag.
Use this tool when you need to:
- upload a file this server can't read (it runs remotely)
Then call complete_upload with the ETags.`,
  inputSchema: {
    file_name: z
      .string()
      .min(1)
      .max(255)
      .refine(isWellFormedText, { error: params.ILL_FORMED_NAME })
      .describe("Name of the file in Vagon Files."),
    size: z.number().int().nonnegative().describe("Exact file size in bytes (`wc -c < file`)."),
    location: params.writeLocation,
    machine_id: params.machineId.optional().describe("For location 'machine'."),
    parent_id: params.parentId,
    overwrite: z
      .boolean()
      .default(false)
      .describe("Replace a same-named file on completion (default false)."),
    content_type: params.contentType,
    chunk_size_mb: params.chunkSizeMb.describe(
      `Part size in MB; default: ${DEFAULT_LINK_PARTS} parts at most, ${MAX_LINK_PARTS} allowed.`,
    ),
  },
  outputSchema: {
    file_id: z.number(),
    parts: z.array(z.object({ part: z.number(), url: z.string(), offset: z.number(), length: z.number() })),
    expires_at: z.string().nullable(),
  },
  // The entry only replaces a same-named file once complete_upload succeeds.
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  mutating: true,
  async handler(args, context) {
    if (/[/\\\0]/.test(args.file_name))
      throw new UserInputError("file_name can't contain slashes or NUL; give just the name.");
    const machineId = params.machineFor(args.location, args.machine_id);
    const chunkSizeMb = args.chunk_size_mb ?? linkChunkSizeMb(args.size, DEFAULT_LINK_PARTS);
    const partCount = Math.max(1, Math.ceil(args.size / (chunkSizeMb * MIB)));
    if (partCount > MAX_LINK_PARTS) {
      throw new UserInputError(
        `chunk_size_mb ${chunkSizeMb} makes ${partCount} parts; one call hands out at most ${MAX_LINK_PARTS}. Use chunk_size_mb ${linkChunkSizeMb(args.size, MAX_LINK_PARTS)} or more, or leave it out.`,
      );
    }
    const contentType =
      args.content_type ??
      ((await import("mime-types")).lookup(args.file_name) || "application/octet-stream");
    const created = await context.client.createFile(
      {
        fileName: args.file_name,
        contentType,
        sizeBytes: args.size,
        parentId: args.parent_id,
        ...(machineId ? { machineId } : {}),
        chunkSizeMb,
        overwrite: args.overwrite,
      },
      { signal: context.extra.signal },
    );
    const parts = planParts(args.size, created.chunkSizeMb || chunkSizeMb, created.uploadUrls);
    const expiresAt = parts[0] ? presignedExpiry(parts[0].url) : null;
    const output = {
      structured: {
        file_id: created.id,
        parts: parts.map((part) => ({
          part: part.partNumber,
          url: part.url,
          offset: part.start,
          length: part.end - part.start,
        })),
        expires_at: expiresAt,
      },
      text: linkInstructions({
        fileId: created.id,
        fileName: args.file_name,
        sizeBytes: args.size,
        parts,
        expiresAt,
      }),
    };
    // Cut links are useless: an answer over the budget takes its entry away again and says how to get fewer parts.
    const tokens = estimateTokens(output.text) + estimateTokens(JSON.stringify(output.structured));
    if (tokens > OUTPUT_BUDGET_TOKENS * 0.85) {
      await context.client.deleteFile(created.id, { signal: AbortSignal.timeout(30_000) }).catch(() => {});
      throw new UserInputError(
        `${parts.length} part links are too long for one answer (about ${groupDigits(tokens)} tokens). Nothing was left behind; ask again with a larger chunk_size_mb (fewer parts), e.g. ${Math.ceil(args.size / MIB / Math.max(1, Math.floor(parts.length / 2)))}.`,
      );
    }
    rememberLink(created.id, { parts: parts.length, fileName: args.file_name });
    return output;
  },
});

/**
 * The engine's usual part size, grown until the file fits in `maxParts` parts; a file too big for
 * that many parts of S3's largest size takes more of them, up to what one answer carries.
 */
function linkChunkSizeMb(sizeBytes: number, maxParts: number): number {
  const fitting = Math.ceil(sizeBytes / MIB / maxParts);
  const chunkSizeMb = Math.max(chooseChunkSizeMb(sizeBytes), fitting, MIN_CHUNK_SIZE_MB);
  if (chunkSizeMb <= MAX_CHUNK_SIZE_MB) return chunkSizeMb;
  if (sizeBytes <= MAX_LINK_PARTS * MAX_CHUNK_SIZE_MB * MIB) return MAX_CHUNK_SIZE_MB;
  throw new UserInputError(
    `${formatBytes(sizeBytes)} is more than one call's links can carry: ${MAX_LINK_PARTS} parts of S3's largest size (chunk_size_mb ${MAX_CHUNK_SIZE_MB}) make ${formatBytes(MAX_LINK_PARTS * MAX_CHUNK_SIZE_MB * MIB)}. Upload it with upload_file from a disk this server can read, or split it into pieces of at most that size. Nothing was created.`,
  );
}
