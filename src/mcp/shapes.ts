// Output schemas shared by several tools: the normalized entry and the one download result.
import { z } from "zod";

export const entryShape = {
  id: z.number(),
  name: z.string(),
  kind: z.enum(["file", "directory"]),
  size: z.number().nullable(),
  content_type: z.string().nullable(),
  modified: z.string().nullable(),
  path: z.string().nullable(),
  status: z.string(),
  machine_id: z.number().nullable(),
};
export const entrySchema = z.object({
  ...entryShape,
  depth: z.number().optional().describe("Levels below the listed folder (recursive listings)."),
});

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
  skipped: z.array(z.object({ entry: z.string(), reason: z.string() })).optional(),
};
export type DownloadResult = z.infer<z.ZodObject<typeof downloadResultShape>>;
