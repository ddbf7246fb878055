// What a tool is handed for the local disk (ToolContext.paths): checked paths and opened
// handles, never raw strings. Declared in the kit, which hands it out; the one implementation
// is ../local-paths.ts (roots → checked paths). CheckedPath itself is declared where the writers
// that demand it live (local/).
import type * as fs from "node:fs/promises";
import type { CheckedPath } from "../../local/containment.js";

export type { CheckedPath };

export interface CheckedFile {
  path: CheckedPath;
  sizeBytes: number;
  /**
   * The file, opened once and verified to be the checked one: read from this, never the path
   * (which may point elsewhere by now). The caller closes it.
   */
  handle: fs.FileHandle;
}

export interface LocalPaths {
  /** An existing regular file inside a root, for upload, opened. */
  checkReadableFile(input: string): Promise<CheckedFile>;
  /** A folder inside a root (sent whole by a folder upload), else what checkReadableFile gives. */
  checkReadableSource(
    input: string,
  ): Promise<({ kind: "file" } & CheckedFile) | { kind: "directory"; path: CheckedPath }>;
  /**
   * A file a folder walk found in `folder` (a checked folder), opened and proven to be that file:
   * reached through no link, still inside `folder`. The caller closes it.
   */
  openTreeFile(file: CheckedPath, folder: CheckedPath): Promise<fs.FileHandle>;
  /**
   * A folder inside a root, created when missing; undefined input = the default download folder.
   * `onCreated` hears the first folder this call created, so a failed download can remove it.
   */
  checkFolder(input: string | undefined, onCreated?: (firstCreated: string) => void): Promise<CheckedPath>;
  /** Real paths of every allowed root. */
  roots(): Promise<string[]>;
}
