// The only door to the local disk. Every path an agent names is resolved with realpath and
// checked against the allowed roots before any I/O or remote call; after that, code holds a
// CheckedPath (and, for reads, the open handle), never a raw string. Over stdio the client's MCP
// roots are added to the configured ones (client and server share one user and one disk); over
// HTTP the client is not the server's user, so its roots can only narrow the configured ones.
import { constants as fsConstants } from "node:fs";
import * as fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { inputRequired, inputResponse, type McpServer } from "@modelcontextprotocol/server";
import type { Config } from "../config.js";
import { isPathWithin, isPathWithinAllowedDirectories } from "../local/containment.js";
import { errorCode, isStillItself } from "../local/files.js";
import { raceSeam } from "../local/race-seam.js";
import type { Logger } from "../log.js";
import { isWellFormedText } from "../well-formed.js";
import type { CheckedFile, CheckedPath, LocalPaths } from "./kit/checked-paths.js";
import { clientCapabilities, currentCall, isModernEra, NeedsInput } from "./kit/era.js";
import { LocalPathError } from "./kit/errors.js";

export type { CheckedFile, CheckedPath, LocalPaths };

const NO_ROOTS =
  "No local folder is allowed yet, so files can't be read from or saved to this computer. Start the server with --root <folder> (or set VAGON_MCP_ROOTS), or let your MCP host share a root folder; remote features work without one.";
const NO_ROOTS_HTTP =
  "This HTTP server has no local folder configured, so it can't read files from or save files to its disk (your client's roots don't count over HTTP: your disk is not the server's). Upload with content instead, or take the download link; the server's operator can allow a folder with --root.";

const ROOTS_UNKNOWN_STATELESS =
  "This server runs stateless (--stateless), so it can't learn your client's MCP roots, which narrow the folders it may use on its disk, and it won't use its local folders unnarrowed. Nothing was read or written. Take the download link (download_files without save_to) or upload with content instead; for local folders, the server's operator can run its stateful mode (sessions).";

/** What a session remembers of its roots between calls. */
interface RootsMemory {
  /** The client's roots as last read (initialize era); null until read, and after it says they changed. */
  clientRoots: string[] | null;
  /**
   * Where a relative path starts: over stdio the host's first root when it offers one (the folder
   * the user is working in), else the first configured root.
   */
  relativeBase: string | undefined;
  /** Configured roots that didn't resolve the last time the roots were looked up. */
  missingRoots: string[];
}

/**
 * The roots in force for this server's session: the configured ones, the client's (re-read when
 * it says they changed), and how they combine per transport; plus how a path is resolved
 * against them and the errors that name them.
 */
function trackRoots(config: Config, server: McpServer, logger: Logger) {
  const memory: RootsMemory = { clientRoots: null, relativeBase: undefined, missingRoots: [] };
  const overHttp = config.transport === "http";

  server.server.setNotificationHandler("notifications/roots/list_changed", async () => {
    memory.clientRoots = null;
  });

  const noRootsError = () => noRootsErrorFor(memory.missingRoots, overHttp);
  const baseFor = (allowed: string[]) => baseAmong(allowed, memory.relativeBase);
  return {
    roots: () => rootsInForce(config, server, logger, memory),
    noRootsError,
    /** Lexical checks and resolution against the first root; no I/O on the target itself. */
    async resolveInput(input: string, allowed: string[]): Promise<string> {
      if (allowed.length === 0) throw noRootsError();
      refuseUnusablePathText(input, allowed);
      return path.resolve(baseFor(allowed), input);
    },
    baseFor,
    outside: (input: string, allowed: string[]) => outsideError(input, allowed, memory.missingRoots),
  };
}

/**
 * The configured roots that exist, combined with the client's: over stdio added to them, over
 * HTTP only narrowing them. Notes in `memory` which configured roots are missing and where
 * relative paths start.
 */
async function rootsInForce(
  config: Config,
  server: McpServer,
  logger: Logger,
  memory: RootsMemory,
): Promise<string[]> {
  const overHttp = config.transport === "http";
  const configured = await realPaths(config.roots);
  memory.missingRoots = config.roots.filter((_, index) => configured[index] === undefined);
  const existing = configured.filter((root): root is string => root !== undefined);
  // Without any configured root an HTTP server has no local-disk features at all.
  if (overHttp && existing.length === 0) return [];
  // A stateless request's server never saw the client's capabilities (an initialize-era
  // client), so whether it has roots, and which, can't be known: refuse rather than widen to
  // the configured roots, which a session with roots would have narrowed (SPEC §5).
  if (overHttp && config.http.stateless && server.server.getClientCapabilities() === undefined) {
    throw new LocalPathError(ROOTS_UNKNOWN_STATELESS);
  }
  const offered = (await realPaths(await fetchClientRoots(server, logger, memory))).filter(
    (root): root is string => root !== undefined,
  );
  if (!overHttp) {
    memory.relativeBase = offered.find((root): root is string => root !== undefined) ?? existing[0];
    return [...new Set([...existing, ...offered])];
  }
  memory.relativeBase = undefined;
  return narrowToConfigured(offered, existing);
}

/**
 * Over HTTP a client root counts only where it lies inside a configured root: the overlap of
 * each pair. A client offering file:/// gets the configured roots, never more; one whose roots
 * overlap none of them (its own disk) narrows nothing.
 */
function narrowToConfigured(offered: string[], configured: string[]): string[] {
  const narrowed = offered.flatMap((clientRoot) =>
    configured.flatMap((root) =>
      isPathWithin(root, clientRoot) ? [clientRoot] : isPathWithin(clientRoot, root) ? [root] : [],
    ),
  );
  return [...new Set(narrowed.length > 0 ? narrowed : configured)];
}

/** The client's roots as local folders: from this call (2026-07-28) or the session's last answer. */
async function fetchClientRoots(server: McpServer, logger: Logger, memory: RootsMemory): Promise<string[]> {
  if (isModernEra(server)) return modernClientRoots(server);
  if (memory.clientRoots) return memory.clientRoots;
  if (!server.server.getClientCapabilities()?.roots) return [];
  try {
    const { roots } = await server.server.listRoots(undefined, { timeout: 5_000 });
    memory.clientRoots = localFolders(roots);
  } catch (error) {
    logger.warn("Could not read the client's roots", { error: String(error) });
    return [];
  }
  return memory.clientRoots;
}

/**
 * A 2026-07-28 client's roots: asked for with an input_required answer (roots/list inside it),
 * then read from the retried call's answer. Per call: the next request may carry other ones.
 */
function modernClientRoots(server: McpServer): string[] {
  const ctx = currentCall.getStore();
  if (!ctx || !clientCapabilities(server, ctx)?.roots) return [];
  const answer = inputResponse(ctx.mcpReq.inputResponses, "roots");
  if (answer.kind !== "roots") {
    throw new NeedsInput(inputRequired({ inputRequests: { roots: inputRequired.listRoots() } }));
  }
  return localFolders(answer.roots);
}

/** The file:// roots among a client's, as paths; other schemes name nothing on this disk. */
function localFolders(roots: Array<{ uri: string }>): string[] {
  return roots.filter((root) => root.uri.startsWith("file://")).map((root) => fileURLToPath(root.uri));
}

/** Nothing is allowed: because no root is configured, or because the configured ones are missing. */
function noRootsErrorFor(missingRoots: string[], overHttp: boolean): LocalPathError {
  if (missingRoots.length === 0) return new LocalPathError(overHttp ? NO_ROOTS_HTTP : NO_ROOTS);
  const named = missingRoots.map((root) => `"${root}"`).join(", ");
  return new LocalPathError(
    `The configured local folder ${named} does not exist, so files can't be read from or saved to this computer. Create it, or point --root (VAGON_MCP_ROOTS) at a folder that exists, then restart the server.`,
  );
}

/** Refuses what no file name can hold, and what this server won't expand or translate. */
function refuseUnusablePathText(input: string, allowed: string[]): void {
  if (!isWellFormedText(input)) {
    throw new LocalPathError(
      "The path contains ill-formed Unicode (a lone surrogate), which no file name can hold; give the path as plain text.",
    );
  }
  if (input.includes("\0"))
    throw new LocalPathError("The path contains a NUL byte; give a plain folder or file path.");
  if (path.sep === "/" && input.includes("\\")) {
    throw new LocalPathError(
      `"${input}" uses Windows-style backslashes; this server runs on a POSIX system, so use forward slashes.`,
    );
  }
  if (input.startsWith("~")) {
    throw new LocalPathError(
      `"${input}" starts with "~", which is not expanded here and is refused; give an absolute path inside an allowed root (${allowed.join(", ")}).`,
    );
  }
}

/** Where a relative path starts among `allowed`: the remembered base while it is allowed, else the first. */
function baseAmong(allowed: string[], relativeBase: string | undefined): string {
  return relativeBase !== undefined && allowed.includes(relativeBase) ? relativeBase : allowed[0]!;
}

function outsideError(input: string, allowed: string[], missingRoots: string[]): LocalPathError {
  const missing =
    missingRoots.length > 0 ? ` (The configured root ${missingRoots.join(", ")} does not exist.)` : "";
  return new LocalPathError(
    `"${input}" is outside the folders this server may use (${allowed.join(", ")}). Pick a path inside one of them, or add a root with --root.${missing}`,
  );
}

/** realpath of the nearest existing ancestor, plus the segments still to create. */
async function realpathOfNearest(absolute: string): Promise<string> {
  const missing: string[] = [];
  let current = absolute;
  for (;;) {
    try {
      const real = await fs.realpath(current);
      return path.join(real, ...missing.reverse());
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENAMETOOLONG") throw new LocalPathError("The path is too long for this file system.");
      if (code !== "ENOENT") throw new LocalPathError(`Can't use "${absolute}": ${code || String(error)}.`);
      const parent = path.dirname(current);
      if (parent === current) throw new LocalPathError(`Can't resolve "${absolute}".`);
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

function isAllowed(real: string, allowed: string[]): boolean {
  return isPathWithinAllowedDirectories(real, allowed);
}

/**
 * Creates the missing folders of `planned` (a real path inside a root) one level at a time, each
 * in a parent whose real path is checked right before, and checks after each where the new
 * folder really is: a parent swapped for a link meanwhile makes the call fail, and an empty
 * folder that landed outside is taken back, instead of `mkdir -p` building a tree out there.
 * Returns the first folder it created.
 */
async function createMissingFolders(
  planned: string,
  wanted: string,
  allowed: string[],
): Promise<string | null> {
  let firstCreated: string | null = null;
  const missing: string[] = [];
  let parent = planned;
  while (
    !(await fs.lstat(parent).then(
      () => true,
      () => false,
    ))
  ) {
    missing.unshift(path.basename(parent));
    const up = path.dirname(parent);
    if (up === parent) break;
    parent = up;
  }
  const changed = () =>
    new LocalPathError(
      `A folder on the way to "${wanted}" was moved or replaced by a link while it was being created, so nothing was saved. Check the folder and try again.`,
    );
  for (const segment of missing) {
    if (!(await isStillItself(parent))) throw changed();
    await raceSeam("folder:before-mkdir", parent);
    const folder = path.join(parent, segment);
    let created = false;
    try {
      await fs.mkdir(folder);
      created = true;
    } catch (error) {
      if (errorCode(error) !== "EEXIST" && errorCode(error) !== "ENOTDIR")
        throw new LocalPathError(
          `Can't create the folder "${wanted}": ${errorCode(error) || String(error)}.`,
        );
    }
    const real = await fs.realpath(folder).catch(() => null);
    if (real !== folder || !isAllowed(real, allowed)) {
      // Made through a swapped parent: it is empty and ours, so rmdir (which removes nothing else) takes it back.
      if (created && real !== null) await fs.rmdir(real).catch(() => {});
      throw changed();
    }
    if (!(await fs.stat(real)).isDirectory())
      throw new LocalPathError(`"${wanted}" is a file, not a folder. Name a folder to save into.`);
    if (created) firstCreated ??= folder;
    parent = folder;
  }
  return firstCreated;
}

export function createLocalPaths(config: Config, server: McpServer, logger: Logger): LocalPaths {
  const { roots, noRootsError, resolveInput, baseFor, outside } = trackRoots(config, server, logger);
  const paths: LocalPaths = {
    roots,

    async checkReadableSource(input) {
      const allowed = await roots();
      const absolute = await resolveInput(input, allowed);
      const real = await fs.realpath(absolute).catch(() => null);
      // Folders are walked without following links (local-tree.ts); anything else is a file.
      if (real !== null && isAllowed(real, allowed) && (await fs.stat(real).catch(() => null))?.isDirectory())
        return { kind: "directory", path: real as CheckedPath };
      return { kind: "file", ...(await paths.checkReadableFile(input)) };
    },

    async checkReadableFile(input) {
      const allowed = await roots();
      const absolute = await resolveInput(input, allowed);
      let real: string;
      try {
        real = await fs.realpath(absolute);
      } catch (error) {
        if (errorCode(error) === "ENAMETOOLONG")
          throw new LocalPathError("The path is too long for this file system.");
        // Don't confirm or deny existence of files outside the roots.
        const nearest = await realpathOfNearest(absolute);
        if (!isAllowed(nearest, allowed)) throw outside(input, allowed);
        const where = path.isAbsolute(input)
          ? ""
          : ` (relative paths start in ${baseFor(allowed)}: looked at ${absolute})`;
        throw new LocalPathError(
          `There is no file at "${input}"${where}. Check the name with your file browser, or give a path from one of the allowed folders (${allowed.join(", ")}), and try again.`,
        );
      }
      if (!isAllowed(real, allowed)) throw outside(input, allowed);
      await raceSeam("read:checked", real);
      const opened = await openProven(real, absolute, allowed);
      if ("handle" in opened)
        return { path: real as CheckedPath, sizeBytes: opened.sizeBytes, handle: opened.handle };
      throw new LocalPathError(
        opened.problem === "link"
          ? `"${input}" was replaced by a link while it was being checked, so it was not read. Try again.`
          : opened.problem === "not-file"
            ? `"${input}" is not a regular file; upload_file sends one file.`
            : opened.problem === "changed"
              ? `"${input}" changed while it was being checked (a folder or link on its path was swapped), so it was not read. Try again.`
              : `Can't open "${input}": ${opened.code}.`,
      );
    },

    async openTreeFile(file, folder) {
      await raceSeam("read:tree-file", file);
      // The walk built this path from the folder's real path and names it listed, so it is its
      // own real path unless something on the way became a link since.
      const opened = await openProven(file, file, [folder]);
      if ("handle" in opened) return opened.handle;
      throw new LocalPathError(
        opened.problem === "link"
          ? "it was replaced by a link, so it was not read"
          : opened.problem === "not-file"
            ? "it is no longer a regular file"
            : opened.problem === "changed"
              ? "a folder on its path was moved or replaced by a link, so it was not read"
              : `can't open it (${opened.code})`,
      );
    },

    async checkFolder(input, onCreated) {
      const allowed = await roots();
      if (allowed.length === 0) throw noRootsError();
      // The configured download folder, unless a client's roots narrowed access away from it.
      const defaultFolder =
        config.downloadDir !== null && isAllowed(await realpathOfNearest(config.downloadDir), allowed)
          ? config.downloadDir
          : path.join(allowed[0]!, "vagon-downloads");
      const wanted = input ?? defaultFolder;
      const absolute = await resolveInput(wanted, allowed);
      const planned = await realpathOfNearest(absolute);
      if (!isAllowed(planned, allowed)) throw outside(wanted, allowed);
      const firstCreated = await createMissingFolders(planned, wanted, allowed);
      if (firstCreated !== null) onCreated?.(firstCreated);
      // Re-check after creating: a link swapped in meanwhile must not redirect the write.
      const real = await fs.realpath(planned).catch(() => null);
      if (real === null)
        throw new LocalPathError(`"${wanted}" is not a folder (a broken link?). Name a folder to save into.`);
      if (!isAllowed(real, allowed)) throw outside(wanted, allowed);
      if (!(await fs.stat(real)).isDirectory())
        throw new LocalPathError(`"${wanted}" is a file, not a folder. Name a folder to save into.`);
      return real as CheckedPath;
    },
  };
  return paths;
}

type Opened =
  | { handle: fs.FileHandle; sizeBytes: number }
  | { problem: "link" | "not-file" | "changed" | "open"; code?: string };

/**
 * Opens the checked file `real` once and proves the handle is the file that was checked: no link
 * followed at the last step (O_NOFOLLOW; O_NONBLOCK so a FIFO swapped in can't hang the open),
 * and `absolute`, resolved again, still leads inside `allowed` to this very inode.
 */
async function openProven(real: string, absolute: string, allowed: string[]): Promise<Opened> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (error) {
    return errorCode(error) === "ELOOP"
      ? { problem: "link" }
      : { problem: "open", code: errorCode(error) || String(error) };
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) {
      await handle.close();
      return { problem: "not-file" };
    }
    const again = await fs.realpath(absolute).catch(() => null);
    const atPath = again === null ? null : await fs.stat(again).catch(() => null);
    if (
      again === null ||
      atPath === null ||
      !isPathWithinAllowedDirectories(again, allowed) ||
      atPath.dev !== opened.dev ||
      atPath.ino !== opened.ino
    ) {
      await handle.close();
      return { problem: "changed" };
    }
    return { handle, sizeBytes: opened.size };
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
}

/** The real path of each candidate, index for index; undefined where it doesn't exist (yet). */
async function realPaths(candidates: string[]): Promise<(string | undefined)[]> {
  return Promise.all(candidates.map((candidate) => fs.realpath(candidate).catch(() => undefined)));
}
