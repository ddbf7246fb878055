// Path containment, in one place: is this absolute path inside one of these folders? Pure and
// lexical (callers pass real paths, resolved before and re-checked after any I/O), modelled on
// the reference filesystem server's isPathWithinAllowedDirectories. Used by the configuration
// (download dir inside a root), the local-path checks (roots) and zip extraction (entries inside
// the destination). Top-level rather than under mcp/ because vagon/ must not import mcp/.
import path from "node:path";

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
