// Input fields shared by several tools, defined once so the same field reads the same
// everywhere (the sentry-mcp ParamX habit).
import { z } from "zod";
import { MAX_CHUNK_SIZE_MB, MIN_CHUNK_SIZE_MB } from "../../vagon/upload.js";
import { UserInputError } from "./errors.js";

/** The refusal of a name holding a lone UTF-16 surrogate, which has no UTF-8 form. */
export const ILL_FORMED_NAME =
  "The name contains ill-formed Unicode (a lone surrogate, such as \\ud800 without its pair), which can't be stored. Remove that character or send the name as plain UTF-8 text.";

export const location = z
  .enum(["shared", "machine", "recordings"])
  .default("shared")
  .describe("shared (default), machine (needs machine_id) or recordings.");

export const machineId = z.number().int().positive().describe("Vagon machine (cloud computer) id, e.g. 100.");

export const parentId = z.number().int().nonnegative().default(0).describe("Folder id; 0 = root (default).");

export const fileId = z.number().int().positive().describe("Id from list_files.");

export const downloadId = z
  .number()
  .int()
  .positive()
  .describe("download_id from download_files or download_task_bundle.");

export const saveTo = z
  .string()
  .max(4096)
  .describe('Local folder in a root (relative to the first); "" = download folder. Omit: link only.');

export const extract = z
  .boolean()
  .default(false)
  .describe("Unzip into save_to (if not empty: save_to/<zip name>/), then delete the .zip.");

export const waitSeconds = z
  .number()
  .int()
  .min(0)
  .max(3600)
  .default(45)
  .describe("Max seconds to wait for a zip job (default 45); then use get_download.");

export const writeLocation = z
  .enum(["shared", "machine"])
  .default("shared")
  .describe("'shared' folder (default) or a 'machine''s storage (needs machine_id).");

/** The new file's type, for upload_file and create_upload_link. */
export const contentType = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .describe("MIME type; default: from the name.");

/** Part size of an upload, within what Vagon accepts; each tool says its own default. */
export const chunkSizeMb = z.number().int().min(MIN_CHUNK_SIZE_MB).max(MAX_CHUNK_SIZE_MB).optional();

/** Where and how the download tools deliver: the same three fields on all of them. */
export const downloadTarget = {
  save_to: saveTo.optional(),
  extract,
  wait_seconds: waitSeconds,
};

/** Where an agent that lacks a machine id finds one: the Files API shows machine ids only there. */
export const MACHINE_ID_NEEDED =
  "location 'machine' needs machine_id (the cloud computer's id). list_files location=recordings shows the machine_id of each session; if none fits, ask the user (the Vagon dashboard shows it).";

/** The machine a write goes to: required for 'machine', none for 'shared'. */
export function machineFor(
  location: "shared" | "machine",
  machineId: number | undefined,
): number | undefined {
  if (location === "machine" && machineId === undefined) {
    throw new UserInputError(MACHINE_ID_NEEDED);
  }
  return location === "machine" ? machineId : undefined;
}
