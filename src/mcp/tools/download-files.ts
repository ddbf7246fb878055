import { z } from "zod";
import { defineTool } from "../kit/define-tool.js";
import { UserInputError } from "../kit/errors.js";
import * as params from "../kit/params.js";
import { explainFileAsFolder, explainFolderAmongFiles } from "../kit/wrong-kind.js";
import { DOWNLOAD_ANNOTATIONS, downloadInto, finishDownload } from "../transfer/downloads.js";
import { downloadResultShape } from "../transfer/shapes.js";

export const downloadFiles = defineTool({
  name: "download_files",
  title: "Download files",
  description: `Download files or a whole folder: a temporary link, or saved to a local folder (optionally unzipped).
Use this tool when you need to:
- fetch files from Vagon Files onto this computer
- get a shareable temporary link to a file
One file gives a direct link; several files or a folder become a zip job (see get_download).`,
  inputSchema: {
    file_ids: z.array(params.fileId).min(1).max(1000).optional().describe("Files to download."),
    directory_id: params.fileId.optional().describe("A folder to download whole (instead of file_ids)."),
    ...params.downloadTarget,
  },
  outputSchema: downloadResultShape,
  annotations: { ...DOWNLOAD_ANNOTATIONS, idempotentHint: false },
  mutating: false,
  async handler(args, context) {
    if ((args.file_ids === undefined) === (args.directory_id === undefined)) {
      throw new UserInputError(
        "Give exactly one of file_ids (a list of file ids) or directory_id (one folder id).",
      );
    }
    return downloadInto(context, args, async (target) => {
      const start = await context.client
        .startDownload(args.file_ids ? { fileIds: args.file_ids } : { directoryId: args.directory_id! }, {
          signal: context.extra.signal,
        })
        .catch((error: unknown) =>
          args.file_ids
            ? explainFolderAmongFiles(error, context.client, args.file_ids, context.extra.signal)
            : explainFileAsFolder(
                error,
                context.client,
                args.directory_id!,
                context.extra.signal,
                "directory_id",
              ),
        );
      return finishDownload(context, start, target);
    });
  },
});
