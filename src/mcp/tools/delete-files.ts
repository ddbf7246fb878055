import { z } from "zod";
import { runPool } from "../../pool.js";
import { countOf, formatBytes } from "../../units.js";
import { VagonError } from "../../vagon/errors.js";
import type { WalkedEntry } from "../../vagon/walk.js";
import { confirmDelete } from "../housekeeping/confirm-delete.js";
import {
  createPlanSigner,
  type PlanItem,
  type PlanScope,
  type PlanSigner,
} from "../housekeeping/delete-plan.js";
import {
  buildFilter,
  CRITERIA,
  type EntryFilter,
  type FilterArgs,
  filterScope,
  filterShape,
} from "../housekeeping/filter.js";
import { scanTree } from "../housekeeping/scan.js";
import { defineTool, type ToolContext } from "../kit/define-tool.js";
import { UserInputError } from "../kit/errors.js";
import { isoInstant } from "../kit/instant.js";
import { createProgress, type ProgressReporter } from "../kit/progress.js";
import { loadTypeTable, type TypeForName } from "../listing/compact.js";
import { FOUND_LINE_COLUMNS } from "../listing/format.js";
import { count, foundLine, foundTable, foundTableSchema, scannedMessage } from "../listing/found.js";

// find_files, listed just before, describes the criteria; here they only point there (tools/list
// is paid for in every conversation).
const briefFilterShape = {
  ...filterShape,
  ...Object.fromEntries(
    [...CRITERIA, "max_depth" as const].map((field) => [
      field,
      filterShape[field].describe("As in find_files."),
    ]),
  ),
} as typeof filterShape;

/** Deletes in flight at once: quick for big sets, gentle on the API's rate limit. */
export const DELETE_CONCURRENCY = 4;
const PREVIEW_ITEMS = 50;
const ELICIT_NAMES = 5;
/** How deep a selected folder's contents are followed to count what it takes with it. */
const MAX_WALK_DEPTH = 64;

const failureSchema = z.object({ id: z.number(), name: z.string(), message: z.string() });

export const deleteFiles = defineTool({
  name: "delete_files",
  title: "Delete many files (preview first)",
  description: `Delete many files/folders with contents, irreversibly. Without confirm: a preview + plan_id, nothing deleted. Same inputs + confirm=plan_id: deletes exactly that set, or nothing if it changed.
Use this tool when you need to:
- delete recordings older than 30 days, every *.tmp
- delete ids found by find_files`,
  inputSchema: {
    file_ids: z
      .array(z.number().int().positive())
      .min(1)
      .max(1000)
      .optional()
      .describe("Ids to delete, instead of a filter."),
    ...briefFilterShape,
    confirm: z.string().max(100).optional().describe("plan_id of the preview to carry out."),
  },
  outputSchema: {
    status: z.enum(["preview", "changed", "deleted", "declined"]),
    plan_id: z.string().optional().describe("Pass as confirm within 15 minutes."),
    count: z.number().optional(),
    bytes: z.number().optional(),
    items: foundTableSchema(
      "The first 50, by path.",
      "bytes; a folder's = the bytes inside it; null when they go deeper than the walk (uncounted).",
    ).optional(),
    uncounted: z
      .number()
      .optional()
      .describe(
        "Folders with contents deeper than the walk (64 levels): bytes leaves those out; unknown, not 0.",
      ),
    expires_at: z.string().optional(),
    deleted: z.number().optional(),
    already_gone: z.number().optional(),
    failed: z.array(failureSchema).optional(),
    bytes_freed: z.number().optional(),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  mutating: true,
  async handler(args, context) {
    const scope = filterScope(args);
    refuseUnclearSelection(args);
    const filter = args.file_ids ? null : await buildFilter(args, Date.now());
    const progress = createProgress(context.extra);
    const computeThisSet = () => computeSet(context, progress, scope, filter, args.file_ids ?? null);
    const set = await computeThisSet();
    const planScope: PlanScope = {
      location: scope.location,
      machineId: scope.machineId ?? null,
      parentId: scope.parentId,
    };
    const signer = createPlanSigner(context.config.apiKey, context.config.apiSecret);
    const planItems = planItemsOf(set);
    const nowMs = Date.now();
    const shown: PreviewSetting = { planScope, signer, typeForName: await loadTypeTable(), progress };

    refuseIncomplete(set);
    if (args.confirm === undefined) return preview(shown, "preview", "Preview only.", set);
    const verdict = signer.check(args.confirm, planScope, planItems, nowMs);
    if (verdict === "malformed")
      throw new UserInputError(
        'confirm must be the plan_id a preview answered (e.g. "m0abc12.Xy…"). Call without confirm to get one.',
      );
    if (verdict === "expired")
      return preview(
        shown,
        "preview",
        "That plan expired (plans last 15 minutes); nothing was deleted. Fresh preview:",
        set,
      );
    if (verdict === "changed")
      return preview(
        shown,
        "changed",
        "The set changed since the preview (or the inputs differ); nothing was deleted. New preview:",
        set,
      );
    if (set.items.length === 0) return preview(shown, "preview", "Nothing matches any more.", set);
    return confirmThenDelete(context, shown, set, args.confirm, computeThisSet);
  },
});

/** file_ids or a filter, exactly one; confirm alone names no set. */
function refuseUnclearSelection(
  args: FilterArgs & { file_ids?: number[] | undefined; confirm?: string | undefined },
): void {
  const given = CRITERIA.filter((field) => args[field] !== undefined);
  if (args.file_ids && given.length > 0) {
    throw new UserInputError(`Give file_ids or a filter (${given.join(", ")}), not both.`);
  }
  if (!args.file_ids && given.length === 0) {
    // A plan_id names a set, it doesn't hold it: the set is computed again from the same inputs.
    if (args.confirm !== undefined) {
      throw new UserInputError(
        "confirm goes with the same inputs as the preview (its file_ids, or its filter and location), so the set can be checked again: call delete_files with those inputs plus confirm. Nothing was deleted.",
      );
    }
    throw new UserInputError(
      `A filter needs at least one of ${CRITERIA.join(", ")} — e.g. modified_before: "30d". To delete one whole folder, use delete_file.`,
    );
  }
}

/**
 * Asks the user (both eras, confirm-delete.ts) and deletes on yes. An answer given while this
 * call waited is checked against the set computed again now.
 */
async function confirmThenDelete(
  context: ToolContext,
  shown: PreviewSetting,
  set: DeleteSet,
  planId: string,
  computeThisSet: () => Promise<DeleteSet>,
) {
  const { progress } = shown;
  const answer = await userConfirms(context, set, planId);
  if (typeof answer !== "string") return answer;
  if (answer === "declined") {
    progress.finish("declined");
    return {
      structured: { status: "declined" as const, deleted: 0, already_gone: 0, failed: [], bytes_freed: 0 },
      text: `Not deleted: the user declined deleting ${count(set.items.length)} items (${sizeText(set)}). Nothing was changed.`,
    };
  }
  // Not asked, or answered before this call began (a 2026-07-28 retry): the set was computed
  // after the answer and still matches the plan.
  if (answer === "not-asked" || answer === "accepted-earlier") return deleteSet(context, progress, set);
  // The question may have stayed open for minutes: the user agreed to the set it named, so
  // that set is computed again now, and anything that came or went since deletes nothing.
  const confirmedSet = await computeThisSet();
  refuseIncomplete(confirmedSet);
  if (!sameItems(planItemsOf(confirmedSet), planItemsOf(set)))
    return preview(
      shown,
      "changed",
      "The set changed while you were asked; nothing was deleted. New preview:",
      confirmedSet,
    );
  return deleteSet(context, progress, confirmedSet);
}

function refuseIncomplete(walked: DeleteSet): void {
  if (!walked.complete) {
    throw new UserInputError(
      `The walk under ${walked.where} hit the scan budget (${count(walked.scannedEntries)} entries) before it ended, so the set isn't known exactly. Nothing was deleted. Start deeper (parent_id) or lower max_depth, then try again.`,
    );
  }
}

/** What a preview is signed for and shown with, beside the set itself. */
interface PreviewSetting {
  planScope: PlanScope;
  signer: PlanSigner;
  typeForName: TypeForName;
  progress: ProgressReporter;
}

/** The set, its first items by path, and a fresh plan_id to carry it out; nothing deleted. */
function preview(shown: PreviewSetting, status: "preview" | "changed", why: string, current: DeleteSet) {
  const { planScope, signer, typeForName, progress } = shown;
  progress.finish(scannedMessage(current.scannedEntries, current.scannedFolders));
  const first = [...current.items]
    .sort((a, b) => (a.entry.path < b.entry.path ? -1 : 1))
    .slice(0, PREVIEW_ITEMS);
  // A folder whose contents go deeper than the walk has no known size: none is given.
  const items = foundTable(
    first.map((item) => ({ entry: item.entry, bytes: item.uncounted ? null : item.bytes })),
    typeForName,
    planScope.location === "machine" ? planScope.machineId : null,
  );
  const lines = [why];
  if (current.missing.length > 0)
    lines.push(
      `Not found under ${current.where} (gone, or in another location/folder): ${current.missing.join(", ")}.`,
    );
  if (current.items.length === 0) {
    lines.push("Nothing to delete.");
    return {
      structured: { status, count: 0, bytes: 0, items: foundTable([], typeForName, null) },
      text: lines.join("\n"),
    };
  }
  const { planId, expiresAtMs } = signer.sign(planScope, planItemsOf(current), Date.now());
  const expiresAt = isoInstant(expiresAtMs);
  lines.push(
    `Would delete ${countOf(current.items.length, "item")}, ${sizeText(current)}, under ${current.where} (${FOUND_LINE_COLUMNS}):`,
    ...first.map((item) =>
      item.uncounted
        ? foundLine(item.entry, null, ["size unknown: deeper than the walk"])
        : foundLine(item.entry, item.bytes),
    ),
  );
  if (current.items.length > first.length)
    lines.push(`… and ${count(current.items.length - first.length)} more.`);
  lines.push(
    `Nothing was deleted. To delete exactly these, call delete_files again with the same inputs and confirm="${planId}" (valid until ${expiresAt}).`,
  );
  return {
    structured: {
      status,
      plan_id: planId,
      count: current.items.length,
      bytes: current.bytes,
      ...(current.uncounted > 0 ? { uncounted: current.uncounted } : {}),
      items,
      expires_at: expiresAt,
    },
    text: lines.join("\n"),
  };
}

interface SetItem {
  entry: WalkedEntry;
  /** Its own size, plus everything inside for a folder. */
  bytes: number;
  /** A folder holding folders deeper than the walk goes: `bytes` counts only what was seen. */
  uncounted: boolean;
}

interface DeleteSet {
  items: SetItem[];
  bytes: number;
  /** Items whose size is unknown (uncounted). */
  uncounted: number;
  missing: number[];
  where: string;
  complete: boolean;
  scannedEntries: number;
  scannedFolders: number;
}

/** Walks the scope once: what the filter (or the id list) selects, each folder owning its contents. */
async function computeSet(
  context: ToolContext,
  progress: ProgressReporter,
  scope: ReturnType<typeof filterScope>,
  filter: EntryFilter | null,
  fileIds: number[] | null,
): Promise<DeleteSet> {
  const wanted = fileIds ? new Set(fileIds) : null;
  const items = new Map<number, SetItem>();
  // Folders inside a selected folder → the selected folder they go with.
  const ownerOf = new Map<number, number>();
  const walk = await scanTree(context, progress, {
    ...scope,
    // Selected folders are walked to the bottom, whatever max_depth, so their bytes are the truth
    // and a file added inside them since the preview changes the plan.
    maxDepth: MAX_WALK_DEPTH,
    shouldList: (folder) => folder === null || folder.depth < scope.maxDepth || ownerOf.has(folder.id),
    visit(entries) {
      for (const entry of entries) {
        const ownerId = entry.depth === 0 ? undefined : ownerOf.get(entry.parentId);
        const owner = ownerId === undefined ? undefined : items.get(ownerId);
        if (owner) {
          if (entry.kind === "file") owner.bytes += entry.size ?? 0;
          else ownerOf.set(entry.id, owner.entry.id);
          if (entry.unentered) owner.uncounted = true;
          // Listed once: an id inside a selected folder goes with it.
          wanted?.delete(entry.id);
          continue;
        }
        if (entry.depth > scope.maxDepth) continue;
        const selected = wanted ? wanted.has(entry.id) : (filter?.matches(entry) ?? false);
        if (!selected) continue;
        wanted?.delete(entry.id);
        items.set(entry.id, {
          entry,
          bytes: entry.kind === "file" ? (entry.size ?? 0) : 0,
          uncounted: entry.unentered === true,
        });
        if (entry.kind === "directory") ownerOf.set(entry.id, entry.id);
      }
    },
  });
  // The start folder is never listed as an entry, so a root can't be selected; say so if asked.
  const missing = wanted ? [...wanted] : [];
  const list = [...items.values()];
  return {
    items: list,
    bytes: list.reduce((sum, item) => sum + item.bytes, 0),
    uncounted: list.filter((item) => item.uncounted).length,
    missing,
    where: walk.folder?.path || walk.folder?.name || scope.location,
    complete: walk.complete,
    scannedEntries: walk.scannedEntries,
    scannedFolders: walk.scannedFolders,
  };
}

/** The set's size as far as it is known: what lies deeper than the walk is unknown, never 0. */
function sizeText(set: DeleteSet): string {
  if (set.uncounted === 0) return formatBytes(set.bytes);
  return `${formatBytes(set.bytes)} plus an unknown size deeper than ${MAX_WALK_DEPTH} levels in ${count(set.uncounted)} folder${set.uncounted === 1 ? "" : "s"}`;
}

function planItemsOf(set: DeleteSet): PlanItem[] {
  return set.items.map((item) => ({ id: item.entry.id, bytes: item.bytes }));
}

function sameItems(a: PlanItem[], b: PlanItem[]): boolean {
  const key = (items: typeof a) =>
    items
      .map((item) => `${item.id}:${item.bytes}`)
      .sort()
      .join(",");
  return key(a) === key(b);
}

/** Asks the user (confirm-delete.ts); a client without elicitation confirmed with plan_id. */
function userConfirms(context: ToolContext, set: DeleteSet, planId: string) {
  return confirmDelete(context, {
    // The plan_id names the exact set (every id with its bytes): a state for one plan carries out no other.
    subject: `delete_files ${planId}`,
    message: () => {
      const names = set.items
        .slice(0, ELICIT_NAMES)
        .map((item) => item.entry.name + (item.entry.kind === "directory" ? "/" : ""));
      const more =
        set.items.length > names.length ? ` and ${count(set.items.length - names.length)} more` : "";
      return `Delete ${count(set.items.length)} items (${sizeText(set)}) from Vagon Files: ${names.join(", ")}${more}? Folders go with everything in them. This can't be undone.`;
    },
    title: "Yes, delete them",
  });
}

/** Deleted items named in the answer; the rest are counted. */
const DELETED_NAMED = 10;

/** What the deletes came to, item by item. */
interface DeleteTally {
  deleted: number;
  alreadyGone: number;
  bytesFreed: number;
  /** Left when the call was cancelled. */
  notStarted: number;
  failed: Array<{ id: number; name: string; message: string }>;
  /** Ids this call deleted (not those already gone). */
  goneIds: Set<number>;
}

async function deleteSet(context: ToolContext, progress: ProgressReporter, set: DeleteSet) {
  const tally = await runDeletes(context, progress, set);
  progress.finish(`deleted ${count(tally.deleted)} of ${count(set.items.length)} items`);
  context.logger.info("delete_files finished", {
    deleted: tally.deleted,
    already_gone: tally.alreadyGone,
    failed: tally.failed.length,
    not_started: tally.notStarted,
  });
  return deletedAnswer(set, tally);
}

/** Deletes every item of the set, a few at once; each failure is counted, none stops the others. */
async function runDeletes(
  context: ToolContext,
  progress: ProgressReporter,
  set: DeleteSet,
): Promise<DeleteTally> {
  const { extra, logger } = context;
  const tally: DeleteTally = {
    deleted: 0,
    alreadyGone: 0,
    bytesFreed: 0,
    notStarted: 0,
    failed: [],
    goneIds: new Set(),
  };
  const total = set.items.length;
  const scanned = set.scannedEntries + set.scannedFolders;
  const done = () => tally.deleted + tally.alreadyGone + tally.failed.length;
  await runPool(set.items, DELETE_CONCURRENCY, async (item) => {
    // Cancellation stops before the next delete; one already sent is let finish, so its outcome is known.
    if (extra.signal.aborted) {
      tally.notStarted += 1;
      return;
    }
    try {
      const outcome = await context.client.deleteFile(item.entry.id);
      if (outcome.alreadyGone) tally.alreadyGone += 1;
      else {
        tally.deleted += 1;
        tally.bytesFreed += item.bytes;
        tally.goneIds.add(item.entry.id);
      }
    } catch (error) {
      if (error instanceof VagonError && error.code === 404) tally.alreadyGone += 1;
      else
        tally.failed.push({
          id: item.entry.id,
          name: item.entry.name,
          message: error instanceof Error ? logger.redact(error.message) : String(error),
        });
    }
    // Counted on from the scan's progress, so every notification is larger than the last.
    // The last step is finish()'s, so no two notifications carry the same progress.
    if (done() < total) {
      progress.report(scanned + done(), scanned + total, `deleting ${count(done())}/${count(total)} items`);
    }
  });
  return tally;
}

/** What went, by name, kind and size (SPEC §2), what was already gone, cancelled or failed. */
function deletedAnswer(set: DeleteSet, tally: DeleteTally) {
  const { deleted, alreadyGone, bytesFreed, notStarted, failed, goneIds } = tally;
  const total = set.items.length;
  // The first few that went, in the set's order.
  const gone = set.items.filter((item) => goneIds.has(item.entry.id));
  const named = gone
    .slice(0, DELETED_NAMED)
    .map(
      (item) =>
        `${item.entry.name}${item.entry.kind === "directory" ? "/ (folder" : " (file"}, ${item.uncounted ? "size unknown" : formatBytes(item.bytes) || "0 bytes"})`,
    );
  const lines = [
    `Deleted ${count(deleted)} of ${countOf(total, "item")}, ${formatBytes(bytesFreed) || "0 bytes"} freed${named.length > 0 ? `: ${named.join(", ")}${gone.length > named.length ? `, and ${count(gone.length - named.length)} more` : ""}` : ""}.` +
      (alreadyGone > 0 ? ` ${countOf(alreadyGone, "item was", "items were")} already gone.` : ""),
  ];
  if (notStarted > 0) {
    lines.push(`Cancelled: ${count(notStarted)} items were not deleted. Preview again to see what is left.`);
  }
  if (failed.length > 0) {
    lines.push(`${failed.length} failed:`);
    for (const failure of failed.slice(0, 20))
      lines.push(`  ${failure.name} id=${failure.id}: ${failure.message}`);
    if (failed.length > 20) lines.push(`  … ${failed.length - 20} more in structuredContent.`);
  }
  const report = (shownFailures: number) => ({
    structured: {
      status: "deleted" as const,
      deleted,
      already_gone: alreadyGone,
      failed: failed.slice(0, shownFailures),
      bytes_freed: bytesFreed,
    },
    text:
      lines.join("\n") +
      (shownFailures < failed.length
        ? `\n(${failed.length - shownFailures} failures left out for the output budget.)`
        : ""),
  });
  // A thousand failures with their messages can't all fit; the counts always do.
  return { ...report(failed.length), cut: { items: failed.length, keep: report } };
}
