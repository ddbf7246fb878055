// The one download result, shared by download_files, download_task_bundle and get_download.
import { z } from "zod";

export const downloadResultShape = {
  status: z
    .enum(["ready", "pending", "processing", "uploaded", "saved", "extracted"])
    .describe("How far this call got."),
  download_id: z.number().optional().describe("Zip job id; pass to get_download / cancel_download."),
  url: z.string().optional().describe("Temporary presigned download link (expires)."),
  expires_at: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  size: z.number().nullable().optional(),
  saved_to: z.string().optional().describe("Local path of the saved file or extraction folder."),
  files: z.array(z.string()).optional().describe("Extracted files, relative to saved_to."),
  files_total: z
    .number()
    .optional()
    .describe("Files extracted in all, when the output budget cut the files list short."),
  skipped: z.array(z.object({ entry: z.string(), reason: z.string() })).optional(),
};
export type DownloadResult = z.infer<z.ZodObject<typeof downloadResultShape>>;
