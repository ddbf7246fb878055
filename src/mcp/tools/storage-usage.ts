import { z } from "zod";
import { countOf, formatBytes } from "../../units.js";
import type { WalkedEntry } from "../../vagon/walk.js";
import { filterShape } from "../housekeeping/filter.js";
import { depthNote, incompleteNote, scanTree } from "../housekeeping/scan.js";
import { defineTool } from "../kit/define-tool.js";
import { UserInputError } from "../kit/errors.js";
import { entryInstant } from "../kit/instant.js";
import * as params from "../kit/params.js";
import { createProgress } from "../kit/progress.js";
import { tableSchema, toTable } from "../kit/table.js";
import { TopK } from "../kit/top-k.js";
import { loadTypeTable } from "../listing/compact.js";
import { entryDate, FOUND_LINE_COLUMNS } from "../listing/format.js";
import { entryOrder, foundLine, foundTable, foundTableSchema, scannedMessage } from "../listing/found.js";

/** Every level below the start folder is summed; only `depth` levels get rows. */
const SUM_DEPTH = 20;

interface Row {
  id: number;
  name: string;
  path: string;
  bytes: number;
  files: number;
  newest: string | null;
  oldest: string | null;
}

const breakdownSchema = tableSchema(
  {
    id: z.number(),
    path: z.string(),
    bytes: z.number().describe("everything below the folder."),
    files: z.number(),
    newest: z.string().nullable().describe("modified of its newest file, UTC ('03 Feb 2026 09:16:30 UT')."),
    oldest: z.string().nullable(),
  },
  {
    description:
      "One row per sub-folder to depth, biggest first. Not a column: name = the path's last part (else in exceptions).",
    exceptions: { name: z.string() },
  },
);

/** Breakdown rows as a table (instants as tables say them). */
function breakdownTable(rows: readonly Row[]) {
  const instant = (value: string | null) => value && entryInstant(value);
  return toTable<Row>(
    {
      columns: {
        id: (row) => row.id,
        path: (row) => row.path,
        bytes: (row) => row.bytes,
        files: (row) => row.files,
        newest: (row) => instant(row.newest),
        oldest: (row) => instant(row.oldest),
      },
      derived: { name: { actual: (row) => row.name, derive: (row) => row.path.split("/").at(-1) } },
      key: (row) => row.id,
    },
    rows,
  );
}

export const storageUsage = defineTool({
  name: "storage_usage",
  title: "Storage usage",
  description: `Where the space goes: totals, sub-folders biggest first, the biggest files.
Use this tool when you need to:
- answer "what is taking our space?"
- choose what to clean up`,
  inputSchema: {
    location: params.location,
    machine_id: filterShape.machine_id,
    parent_id: params.parentId.describe("Folder to measure; 0 = root (default)."),
    depth: z
      .number()
      .int()
      .min(1)
      .max(3)
      .default(1)
      .describe("Folder levels broken down (default 1, max 3)."),
    top: z.number().int().min(0).max(50).default(10).describe("Biggest files listed (default 10, max 50)."),
  },
  outputSchema: {
    total_bytes: z.number(),
    files: z.number(),
    folders: z.number(),
    breakdown: breakdownSchema,
    biggest_files: foundTableSchema("The biggest files, biggest first."),
    storage: z
      .object({ used: z.number(), total: z.number() })
      .optional()
      .describe("Quota in bytes, at a root."),
    complete: z.boolean(),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  mutating: false,
  async handler(args, context) {
    if (args.location === "machine" && args.machine_id === undefined) {
      throw new UserInputError(params.MACHINE_ID_NEEDED);
    }
    const rows = new Map<number, Row>();
    // Per folder seen, the rows its files count toward (its ancestors within `depth`, itself).
    const rowsOfFolder = new Map<number, number[]>();
    const topRowIds = new Set<number>();
    const biggest = new TopK<WalkedEntry>(args.top, entryOrder("size", "desc"));
    let totalBytes = 0;
    let files = 0;
    let folders = 0;
    const progress = createProgress(context.extra);
    const walk = await scanTree(context, progress, {
      location: args.location,
      machineId: args.location === "shared" ? undefined : args.machine_id,
      parentId: args.parent_id,
      maxDepth: SUM_DEPTH,
      visit(entries) {
        for (const entry of entries) {
          const chain = entry.depth === 0 ? [] : (rowsOfFolder.get(entry.parentId) ?? []);
          if (entry.kind === "directory") {
            folders += 1;
            if (entry.depth < args.depth) {
              rows.set(entry.id, {
                id: entry.id,
                name: entry.name,
                path: entry.path,
                bytes: 0,
                files: 0,
                newest: null,
                oldest: null,
              });
              rowsOfFolder.set(entry.id, [...chain, entry.id]);
              if (entry.depth === 0) topRowIds.add(entry.id);
            } else {
              rowsOfFolder.set(entry.id, chain);
            }
            continue;
          }
          const bytes = entry.size ?? 0;
          files += 1;
          totalBytes += bytes;
          biggest.offer(entry);
          for (const rowId of chain) {
            const row = rows.get(rowId);
            if (!row) continue;
            row.bytes += bytes;
            row.files += 1;
            if (entry.modified) {
              if (row.newest === null || entry.modified > row.newest) row.newest = entry.modified;
              if (row.oldest === null || entry.modified < row.oldest) row.oldest = entry.modified;
            }
          }
        }
      },
    });
    progress.finish(scannedMessage(walk.scannedEntries, walk.scannedFolders));
    const breakdown = [...rows.values()].sort((a, b) => b.bytes - a.bytes || a.id - b.id);
    const biggestFiles = biggest.sorted();
    const storage = walk.storage
      ? { used: walk.storage.usedBytes, total: walk.storage.totalBytes }
      : undefined;
    const where = walk.folder?.path || walk.folder?.name || args.location;
    const base = {
      total_bytes: totalBytes,
      files,
      folders,
      biggest_files: foundTable(
        biggestFiles.map((entry) => ({ entry })),
        await loadTypeTable(),
        args.location === "machine" ? (args.machine_id ?? null) : null,
      ),
      ...(storage ? { storage } : {}),
      // Past SUM_DEPTH levels nothing was measured: a limit, so the totals are not the whole truth.
      complete: walk.complete && walk.unentered.folders === 0,
    };
    const render = (kept: Row[]) => {
      const lines = [
        `${where}: ${formatBytes(totalBytes)} in ${countOf(files, "file")}, ${countOf(folders, "folder")}${
          storage ? `; storage ${formatBytes(storage.used)} of ${formatBytes(storage.total)} used` : ""
        }`,
      ];
      const note = incompleteNote(walk);
      if (note) lines.push(note);
      const cut = depthNote(walk, SUM_DEPTH + 1);
      if (cut) lines.push(cut);
      if (breakdown.length > 0) {
        lines.push(`by folder (${args.depth} level${args.depth > 1 ? "s" : ""}):`);
        for (const row of kept) {
          const span = row.oldest && row.newest ? ` ${entryDate(row.oldest)}..${entryDate(row.newest)}` : "";
          lines.push(
            `${row.path}/  ${formatBytes(row.bytes)} ${countOf(row.files, "file")} id=${row.id}${span}`,
          );
        }
        if (kept.length < breakdown.length)
          lines.push(
            `${breakdown.length - kept.length} smaller folders not shown — lower depth or start at a sub-folder (parent_id).`,
          );
        let looseBytes = totalBytes;
        for (const id of topRowIds) looseBytes -= rows.get(id)?.bytes ?? 0;
        if (looseBytes > 0) lines.push(`(${formatBytes(looseBytes)} in files directly in ${where})`);
      }
      if (biggestFiles.length > 0)
        lines.push(
          `biggest files (${FOUND_LINE_COLUMNS}):`,
          ...biggestFiles.map((entry) => foundLine(entry)),
        );
      return lines.join("\n");
    };
    const output = (rows: Row[]) => ({
      structured: { ...base, breakdown: breakdownTable(rows) },
      text: render(rows),
    });
    // Over the output budget, define-tool keeps the biggest rows; the text counts the rest.
    return {
      ...output(breakdown),
      cut: { items: breakdown.length, keep: (keep: number) => output(breakdown.slice(0, keep)) },
    };
  },
});
