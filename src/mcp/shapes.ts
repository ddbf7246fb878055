// Output schemas shared by several tools: a folder listing and the one download result.
import { z } from "zod";
import { listingTableSchema } from "./compact.js";

export const listingFolderSchema = z.object({
  id: z.number(),
  name: z.string(),
  path: z.string().nullable(),
  machine_id: z.number().optional().describe("The machine whose storage is listed."),
});
export type ListingFolder = z.infer<typeof listingFolderSchema>;

/** list_files' output, also the JSON of the folder resources. */
export const listingShape = {
  folder: listingFolderSchema.nullable(),
  entries: listingTableSchema,
  total: z.number().describe("Entries in the listed folder."),
  next_page: z.number().nullable().describe("The page to ask for next (with per_page), null at the end."),
  per_page: z.number().optional().describe("The page size next_page counts in; present with next_page."),
  next_cursor: z.string().optional().describe("Recursive listing cut short: pass as cursor to continue."),
  not_opened: z
    .array(z.number())
    .optional()
    .describe(
      "Recursive: folders at max_depth, whose contents were not listed; list one with its id as parent_id.",
    ),
  storage: z
    .object({ used: z.number(), total: z.number() })
    .nullable()
    .optional()
    .describe("Bytes, at a root."),
};
export type ListingOutput = z.infer<z.ZodObject<typeof listingShape>>;

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
