// Removing folders the server made and then left empty, and nothing else: every removal is an
// rmdir, which the file system refuses for a folder that holds anything, so a file that
// arrives meanwhile (the user's or another call's) is never deleted with it.
import * as fs from "node:fs/promises";
import path from "node:path";
import { isPathWithinAllowedDirectories } from "./local/containment.js";

/**
 * Removes `folder` when it holds no file at any depth (empty sub-folders go with it).
 * True when it is gone; false when something in it stays (and so does the folder).
 */
export async function removeIfHoldsNothing(folder: string): Promise<boolean> {
  const entries = await fs.readdir(folder, { withFileTypes: true }).catch(() => null);
  if (entries === null) return false;
  for (const entry of entries) {
    if (entry.isDirectory()) await removeIfHoldsNothing(path.join(folder, entry.name));
  }
  try {
    await fs.rmdir(folder);
    return true;
  } catch {
    return false;
  }
}

/**
 * Undoes a `mkdir -p` that created `firstCreated` and everything below it down to `deepest`:
 * removes each of those folders, deepest first, while it is empty; stops at the first that isn't.
 */
export async function removeCreatedFolders(deepest: string, firstCreated: string): Promise<void> {
  if (!isPathWithinAllowedDirectories(deepest, [firstCreated])) return;
  for (let folder = deepest; ; folder = path.dirname(folder)) {
    try {
      await fs.rmdir(folder);
    } catch {
      return;
    }
    if (folder === firstCreated) return;
  }
}
