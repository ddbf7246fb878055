// A walk run on behalf of a tool call: the call's cancellation and its progress notifications
// ("scanned 1,200 entries in 40 folders").
import { groupDigits } from "../../units.js";
import { type WalkRequest, type WalkResult, walkTree } from "../../vagon/walk.js";
import type { ToolContext } from "../kit/define-tool.js";
import type { ProgressReporter } from "../kit/progress.js";
import { scannedMessage } from "../listing/found.js";

export async function scanTree(
  context: ToolContext,
  progress: ProgressReporter,
  request: Omit<WalkRequest, "signal" | "onProgress">,
): Promise<WalkResult> {
  return walkTree(context.client, {
    ...request,
    signal: context.extra.signal,
    // Entries + folders: every page adds at least one, so progress always grows.
    onProgress: ({ scannedEntries, scannedFolders }) =>
      progress.report(
        scannedEntries + scannedFolders,
        undefined,
        scannedMessage(scannedEntries, scannedFolders),
      ),
  });
}

/** What the text says when the scan budget cut a walk short. */
export function incompleteNote(result: WalkResult): string {
  return result.complete
    ? ""
    : `INCOMPLETE: stopped after the scan budget of ${groupDigits(result.scannedEntries)} entries; counts cover only what was scanned — start deeper (parent_id) or lower max_depth.`;
}

/**
 * What the text says when folders at the walk's depth limit were not entered: how many, the first
 * (so the caller can start there), and that what lies below is not counted. Empty when none.
 */
export function depthNote(result: WalkResult, levels: number): string {
  const { folders, first } = result.unentered;
  if (!first) return "";
  return `INCOMPLETE: ${groupDigits(folders)} folder${folders === 1 ? "" : "s"} at the depth limit (${levels} levels) not entered, e.g. ${first.path}/ — what lies below is not counted; start there with parent_id=${first.id}.`;
}
