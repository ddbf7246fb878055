// The result shapes the story tests read from structuredContent, written once.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";
import { toolText } from "./harness.js";

/** What the three download tools answer. */
export interface DownloadResult {
  status: string;
  download_id?: number;
  url?: string;
  expires_at?: string | null;
  name?: string | null;
  size?: number | null;
  saved_to?: string;
  files?: string[];
}

/** A download tool's answer, which must not be an error. */
export function downloadResultOf(result: CallToolResult): DownloadResult {
  expect(result.isError, toolText(result)).toBeFalsy();
  return result.structuredContent as unknown as DownloadResult;
}

/** An entry of list_files, as the tables read back (withRecords). */
export interface ListedEntry {
  id: number;
  name: string;
  kind: "file" | "directory";
  depth?: number;
}

/** list_files' answer, entries read back from its table. */
export interface ListResult {
  folder: { id: number; name: string } | null;
  entries: ListedEntry[];
  total: number;
  next_page: number | null;
  storage?: { used: number; total: number } | null;
}
