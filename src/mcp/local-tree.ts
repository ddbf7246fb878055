// The local side of a folder upload: walks a checked folder without ever following a link,
// so everything it returns lies inside the folder (and so inside a root), and re-checks each
// path against the roots anyway. Links, sockets and other non-files are skipped and reported.
import * as fs from "node:fs/promises";
import path from "node:path";
import { isPathWithinAllowedDirectories } from "../local/containment.js";
import { groupDigits } from "../units.js";
import { compileGlobs } from "./housekeeping/glob.js";
import { LocalPathError } from "./kit/errors.js";
import type { CheckedPath } from "./local-paths.js";

/** One call uploads at most this many files; a bigger tree is refused before anything is sent. */
export const MAX_FOLDER_FILES = 10_000;
/** Folder levels below the uploaded folder. */
const MAX_DEPTH = 32;

export interface LocalTreeFile {
  /** Relative to the walked folder, with "/" separators. */
  relativePath: string;
  path: CheckedPath;
  sizeBytes: number;
}

export interface LocalTree {
  /** Relative folder paths, every parent before its children. */
  directories: string[];
  files: LocalTreeFile[];
  /** Links and special files that were not followed or sent. */
  skipped: { path: string; reason: string }[];
  excluded: number;
}

export interface WalkOptions {
  /** Real paths of the allowed roots. */
  roots: string[];
  /** True for a relative path (or its base name) the caller wants left out. */
  isExcluded?: (relativePath: string, baseName: string) => boolean;
  maxFiles?: number;
  signal?: AbortSignal;
}

export async function walkLocalFolder(folder: CheckedPath, options: WalkOptions): Promise<LocalTree> {
  const maxFiles = options.maxFiles ?? MAX_FOLDER_FILES;
  const tree: LocalTree = { directories: [], files: [], skipped: [], excluded: 0 };
  // Breadth first, so parents come before children and the file order is shallow files first.
  let level: string[] = [""];
  for (let depth = 0; level.length > 0; depth++) {
    const next: string[] = [];
    for (const relativeDir of level) {
      options.signal?.throwIfAborted();
      const absoluteDir = path.join(folder, relativeDir);
      const dirents = await fs.readdir(absoluteDir, { withFileTypes: true });
      dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const dirent of dirents) {
        const relativePath = relativeDir ? `${relativeDir}/${dirent.name}` : dirent.name;
        if (options.isExcluded?.(relativePath, dirent.name)) {
          tree.excluded++;
          continue;
        }
        const absolute = path.join(absoluteDir, dirent.name);
        // Built from readdir names under a real folder, so lexically inside it; checked all the same.
        if (!isPathWithinAllowedDirectories(absolute, options.roots)) {
          tree.skipped.push({ path: relativePath, reason: "outside the allowed roots" });
          continue;
        }
        if (dirent.isSymbolicLink()) {
          tree.skipped.push({ path: relativePath, reason: "a symbolic link (not followed)" });
        } else if (dirent.isDirectory()) {
          if (depth + 1 > MAX_DEPTH) {
            throw new LocalPathError(
              `"${relativePath}" is more than ${MAX_DEPTH} folder levels deep; upload its sub-folders separately.`,
            );
          }
          tree.directories.push(relativePath);
          next.push(relativePath);
        } else if (dirent.isFile()) {
          if (tree.files.length >= maxFiles) {
            throw new LocalPathError(
              `The folder holds more than ${groupDigits(maxFiles)} files, the most one upload_file call sends. Upload its sub-folders one at a time, or leave some out with exclude.`,
            );
          }
          const stats = await fs.lstat(absolute);
          if (!stats.isFile()) {
            tree.skipped.push({ path: relativePath, reason: "no longer a regular file" });
            continue;
          }
          tree.files.push({ relativePath, path: absolute as CheckedPath, sizeBytes: stats.size });
        } else {
          tree.skipped.push({ path: relativePath, reason: "not a regular file" });
        }
      }
    }
    level = next;
  }
  return tree;
}

/**
 * exclude globs, matched against the path relative to the uploaded folder and against the base
 * name, so `node_modules` and `.git` leave those folders out at any depth and `*.tmp` any such file.
 */
export async function excludeMatcher(
  patterns: string[] | undefined,
): Promise<((relativePath: string, baseName: string) => boolean) | undefined> {
  if (!patterns || patterns.length === 0) return undefined;
  const matches = compileGlobs(patterns);
  return (relativePath, baseName) => matches(relativePath) || matches(baseName);
}
