// Path containment, in one place: is this absolute path inside one of these folders? Pure and
// lexical (callers pass real paths, resolved before and re-checked after any I/O), modelled on
// the reference filesystem server's isPathWithinAllowedDirectories. Used by the configuration
// (download dir inside a root), the local-path checks (roots) and zip extraction (entries inside
// the destination). Top-level rather than under mcp/ because vagon/ must not import mcp/.
// Also the type of what passed the check, CheckedPath: the writers take nothing else.
import path from "node:path";

declare const checked: unique symbol;

/**
 * A path the containment check found inside an allowed folder: a real path, or one plain name in
 * such a folder (a file about to be created). Only containment code
 * mints one (../mcp/local-paths.ts, right after its check, and checkedChild below); the writers
 * (downloads, the free-name rule, extraction) take nothing else, so a raw path can't reach them.
 */
export type CheckedPath = string & { readonly [checked]: true };

/**
 * `name` inside the checked folder `folder`: checked too, since one plain name (no separator, not
 * "" or "." or "..", no NUL) can't lead out of it. Any other name is refused.
 */
export function checkedChild(folder: CheckedPath, name: string): CheckedPath {
  if (name === "" || name === "." || name === ".." || /[/\\\0]/.test(name)) {
    throw new Error(`"${name}" is not a plain file name, so it can't be placed inside a checked folder.`);
  }
  return path.join(folder, name) as CheckedPath;
}

/** True when `candidate` is `directory` itself or lies anywhere below it. */
export function isPathWithin(
  directory: string,
  candidate: string,
  pathApi: path.PlatformPath = path,
): boolean {
  if (!directory || !candidate || directory.includes("\0") || candidate.includes("\0")) return false;
  if (!pathApi.isAbsolute(directory) || !pathApi.isAbsolute(candidate)) return false;
  const relative = pathApi.relative(pathApi.resolve(directory), pathApi.resolve(candidate));
  if (relative === "") return true;
  // "..cache" is a child named "..cache"; only a first segment that IS ".." climbs out.
  const firstSegment = relative.split(pathApi.sep)[0];
  return firstSegment !== ".." && !pathApi.isAbsolute(relative);
}

/** True when `absolutePath` lies inside (or is) at least one of `allowedDirectories`. */
export function isPathWithinAllowedDirectories(
  absolutePath: string,
  allowedDirectories: readonly string[],
  pathApi: path.PlatformPath = path,
): boolean {
  return allowedDirectories.some((directory) => isPathWithin(directory, absolutePath, pathApi));
}
