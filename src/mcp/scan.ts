// A walk run on behalf of a tool call: the call's cancellation and its progress notifications
// ("scanned 1,200 entries in 40 folders").
import { type WalkRequest, type WalkResult, walkTree } from "../vagon/walk.js";
import type { ToolContext } from "./define-tool.js";
import { scannedMessage } from "./found.js";
import type { ProgressReporter } from "./progress.js";

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
    : `INCOMPLETE: stopped after the scan budget of ${result.scannedEntries.toLocaleString("en-US")} entries; counts cover only what was scanned — start deeper (parent_id) or lower max_depth.`;
}
