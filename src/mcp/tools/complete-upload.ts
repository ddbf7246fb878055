import { z } from "zod";
import { formatBytes } from "../../units.js";
import { VagonError } from "../../vagon/errors.js";
import type { VagonClient } from "../../vagon/types.js";
import { defineTool } from "../kit/define-tool.js";
import { ToolError, UserInputError } from "../kit/errors.js";
import * as params from "../kit/params.js";
import { type FoundFile, findFile, findFolder, folderNotFileText } from "../kit/wrong-kind.js";
import { forgetLink, issuedLink, normalizeEtag } from "../transfer/upload-links.js";

export const completeUpload = defineTool({
  name: "complete_upload",
  title: "Complete an upload",
  description: `Finish an upload started with create_upload_link.
Use this tool when you need to:
- make a file sent through upload links appear in Vagon Files`,
  inputSchema: {
    file_id: params.fileId.describe("file_id returned by create_upload_link."),
    etags: z
      .array(z.string().min(1).max(200))
      .min(1)
      .max(10_000)
      .describe("ETags in part order, as the part commands printed them."),
  },
  outputSchema: {
    id: z.number(),
    uid: z.string().nullable(),
    name: z.string().nullable(),
    parts: z.number().nullable(),
    already_complete: z.boolean().optional(),
  },
  // With overwrite set at create_upload_link, completing replaces the same-named file.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  mutating: true,
  async handler(args, context) {
    const fileId = args.file_id;
    const abandon = `or abandon the upload with delete_file file_id=${fileId}`;
    const etags = args.etags.map((raw, index) => {
      const etag = normalizeEtag(raw);
      if (etag === null) {
        throw new UserInputError(
          `ETag ${index + 1} (${JSON.stringify(raw.slice(0, 60))}) is not an ETag: give the value curl printed for part ${index + 1}, like "9b2cf535f27731c974343645a3985328" (quotes included). Nothing was sent to Vagon; the entry ${fileId} is unchanged.`,
        );
      }
      return etag;
    });
    const link = issuedLink(fileId);
    if (link && link.parts !== etags.length) {
      throw new UserInputError(
        `Upload ${fileId} (${link.fileName}) has ${link.parts} part${link.parts === 1 ? "" : "s"}, but ${etags.length} ETag${etags.length === 1 ? " was" : "s were"} given. Run every part's command and pass all ETags in part order. Nothing was sent to Vagon; the entry is unchanged.`,
      );
    }
    let completed: Awaited<ReturnType<typeof context.client.completeUpload>>;
    try {
      completed = await context.client.completeUpload(
        fileId,
        etags.map((etag, index) => ({ partNumber: index + 1, etag })),
        { signal: context.extra.signal },
      );
    } catch (error) {
      const done = await alreadyComplete(error, context.client, fileId, context.extra.signal);
      if (!done) throw explainFailure(error, fileId, abandon);
      forgetLink(fileId);
      // A retry after a lost answer, or another upload's id: either way the file is whole, and
      // nothing here may suggest deleting it.
      return {
        structured: { id: fileId, uid: null, name: done.name, parts: null, already_complete: true },
        text: `Upload ${fileId}${done.name ? ` (${done.name}${done.sizeBytes === null ? "" : `, ${formatBytes(done.sizeBytes)}`})` : ""} is already complete: the file is in Vagon Files and nothing was changed. If you meant another upload, use the file_id its create_upload_link returned.`,
      };
    }
    forgetLink(fileId);
    return {
      structured: { id: fileId, uid: completed.uid, name: link?.fileName ?? null, parts: etags.length },
      text: `Completed upload ${fileId}${link ? ` (${link.fileName})` : ""}: ${etags.length} part${etags.length === 1 ? "" : "s"}; the file is now in Vagon Files.`,
    };
  },
});

/**
 * The finished file behind a refused completion (Vagon answers 400 for an upload completed
 * before), or null. A folder id is named as such; only a 400 is probed.
 */
async function alreadyComplete(
  error: unknown,
  client: VagonClient,
  fileId: number,
  signal: AbortSignal,
): Promise<FoundFile | null> {
  if (!(error instanceof VagonError) || error.kind !== "api" || error.code !== 400) return null;
  const file = await findFile(client, fileId, signal);
  if (file) return file;
  const folder = await findFolder(client, fileId, signal);
  if (folder) throw new UserInputError(folderNotFileText([folder], "it has no upload to complete"));
  return null;
}

/** Says what became of the entry: Vagon deletes it on 450/452, keeps it pending on a refused part list. */
function explainFailure(error: unknown, fileId: number, abandon: string): unknown {
  if (!(error instanceof VagonError) || error.kind !== "api") return error;
  switch (error.code) {
    case 450:
    case 452:
      forgetLink(fileId);
      return new ToolError(
        `${error.message} Entry ${fileId} no longer exists: start again with create_upload_link (each part's command sends exactly its range).`,
      );
    case 404:
      forgetLink(fileId);
      return error;
    case 400: {
      // Vagon's own advice for a mismatched ETag is to keep the quotes, which the tool already
      // does: the usual cause is the order, or a part sent again with other bytes.
      const mismatch = /etag of part (\d+)/i.exec(error.serverMessage ?? "");
      const cause = mismatch
        ? `: the ETag given for part ${mismatch[1]} is not the one S3 returned for part ${mismatch[1]}. Give the ETags in part order (part 1's first, as each part's command printed it); a part sent again prints a new ETag`
        : error.serverMessage
          ? `: "${error.serverMessage.slice(0, 200)}"`
          : "";
      return new ToolError(
        `Vagon refused to complete upload ${fileId}${cause}. The entry is still there, waiting for its parts: re-run the command of the part concerned (its ETag changes only if its bytes do) and call complete_upload again with the ETags in part order, ${abandon}.`,
      );
    }
    default:
      return error;
  }
}
