import { z } from "zod";
import { formatBytes } from "../../units.js";
import type { WalkedEntry } from "../../vagon/walk.js";
import { buildFilter, filterScope, filterShape } from "../housekeeping/filter.js";
import { depthNote, incompleteNote, scanTree } from "../housekeeping/scan.js";
import { defineTool } from "../kit/define-tool.js";
import { isoInstant } from "../kit/instant.js";
import { createProgress } from "../kit/progress.js";
import { TopK } from "../kit/top-k.js";
import { loadTypeTable } from "../listing/compact.js";
import { FOUND_LINE_COLUMNS } from "../listing/format.js";
import {
  count,
  entryOrder,
  foundLine,
  foundTable,
  foundTableSchema,
  scannedMessage,
} from "../listing/found.js";

export const findFiles = defineTool({
  name: "find_files",
  title: "Find files",
  description: `Search a folder tree by name glob, kind, age and size, sorted; summary counts all matches.
Use this tool when you need to:
- find old recordings, big renders, every *.log
- see the biggest or newest files`,
  inputSchema: {
    ...filterShape,
    sort: z.enum(["name", "size", "modified"]).default("name").describe("Order of matches."),
    order: z.enum(["asc", "desc"]).optional().describe("Default: desc for size, modified."),
    limit: z.number().int().min(1).max(500).default(50).describe("Matches returned (max 500)."),
  },
  outputSchema: {
    matches: foundTableSchema("The matches returned, in the order asked for."),
    summary: z.object({
      matched: z.number(),
      matched_bytes: z
        .number()
        .describe("Bytes of the matched files; a matched folder's contents are not counted."),
      scanned_entries: z.number(),
      scanned_folders: z.number(),
      complete: z.boolean(),
    }),
  },
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  mutating: false,
  async handler(args, context) {
    const scope = filterScope(args);
    const filter = await buildFilter(args, Date.now());
    const order = args.order ?? (args.sort === "name" ? "asc" : "desc");
    const top = new TopK<WalkedEntry>(args.limit, entryOrder(args.sort, order));
    let matched = 0;
    let matchedBytes = 0;
    let matchedFolders = 0;
    const progress = createProgress(context.extra);
    const walk = await scanTree(context, progress, {
      ...scope,
      visit(entries) {
        for (const entry of entries) {
          if (!filter.matches(entry)) continue;
          matched += 1;
          if (entry.kind === "file") matchedBytes += entry.size ?? 0;
          else matchedFolders += 1;
          top.offer(entry);
        }
      },
    });
    progress.finish(scannedMessage(walk.scannedEntries, walk.scannedFolders));
    const summary = {
      matched,
      matched_bytes: matchedBytes,
      scanned_entries: walk.scannedEntries,
      scanned_folders: walk.scannedFolders,
      // At the deepest max_depth allowed, unentered folders are a limit, not the caller's choice.
      complete: walk.complete && !(walk.unentered.folders > 0 && scope.maxDepth >= DEEPEST),
    };
    const all = top.sorted();
    const typeForName = await loadTypeTable();
    const machineId = args.location === "machine" ? (args.machine_id ?? null) : null;
    const where = walk.folder?.path || walk.folder?.name || args.location;
    const render = (matches: WalkedEntry[]) => {
      const lines = [
        `${count(matched)} matches (${formatBytes(matchedBytes)}${
          matchedFolders > 0 ? " in files; folders' contents not counted — storage_usage sums them" : ""
        }) for ${filter.describe()} in ${where}; ${scannedMessage(walk.scannedEntries, walk.scannedFolders)}`,
      ];
      const note = incompleteNote(walk);
      if (note) lines.push(note);
      if (!summary.complete) {
        const cut = depthNote(walk, DEEPEST + 1);
        if (cut) lines.push(cut);
      }
      if (matches.length > 0)
        lines.push(
          `by ${args.sort} ${order} (${FOUND_LINE_COLUMNS}):`,
          ...matches.map((entry) => foundLine(entry)),
        );
      if (matched > matches.length)
        lines.push(moreLine(matched - matches.length, args.sort, order, matches.at(-1), args.limit));
      return lines.join("\n");
    };
    const output = (matches: WalkedEntry[]) => ({
      structured: {
        matches: foundTable(
          matches.map((entry) => ({ entry })),
          typeForName,
          machineId,
        ),
        summary,
      },
      text: render(matches),
    });
    // Over the output budget, define-tool keeps the first matches; the text says how to go on.
    return { ...output(all), cut: { items: all.length, keep: (keep: number) => output(all.slice(0, keep)) } };
  },
});

/** filter.ts's largest max_depth. */
const DEEPEST = 20;

/** How to get the matches left out, in a form a text-only host can follow. */
function moreLine(
  left: number,
  sort: string,
  order: string,
  last: WalkedEntry | undefined,
  limit: number,
): string {
  const base = `${count(left)} more matches not shown —`;
  if (last && sort === "size" && order === "desc" && last.kind === "file" && last.size !== null)
    return `${base} call again with max_size=${last.size} (ties repeat), or narrow the filter.`;
  const lastMs = last?.modified ? Date.parse(last.modified) : Number.NaN;
  if (sort === "modified" && order === "desc" && !Number.isNaN(lastMs)) {
    // Listed instants are to the second: before the next second, so none of the last one's is lost.
    const before = isoInstant(lastMs + 1000);
    return `${base} call again with modified_before=${before} (ties repeat), or narrow the filter.`;
  }
  return `${base} narrow the filter (name, modified_*, min_size)${limit < 500 ? " or raise limit (max 500)" : ""}.`;
}
