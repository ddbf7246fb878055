// The only door to the local disk. Every path an agent names is resolved with realpath and
// checked against the allowed roots (configured ones plus the MCP client's roots) before any
// I/O or remote call; after that, code holds a CheckedPath, never a raw string.
import * as fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { RootsListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { LocalPathError } from "./errors.js";

export type CheckedPath = string & { readonly __checked: unique symbol };

const NO_ROOTS =
  "No local folder is allowed yet, so files can't be read from or saved to this computer. Start the server with --root <folder> (or set VAGON_MCP_ROOTS), or let your MCP host share a root folder; remote features work without one.";

export interface LocalPaths {
  /** An existing regular file inside a root, for upload. */
  checkReadableFile(input: string): Promise<{ path: CheckedPath; sizeBytes: number }>;
  /** A folder inside a root, created when missing; undefined input = the default download folder. */
  checkFolder(input: string | undefined): Promise<CheckedPath>;
  /** Real paths of every allowed root. */
  roots(): Promise<string[]>;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

function codeOf(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
}

export function createLocalPaths(config: Config, server: McpServer, logger: Logger): LocalPaths {
  let clientRoots: string[] | null = null;
  /** Configured roots that didn't resolve the last time roots() looked. */
  let missingRoots: string[] = [];

  server.server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
    clientRoots = null;
  });

  async function fetchClientRoots(): Promise<string[]> {
    if (clientRoots) return clientRoots;
    if (!server.server.getClientCapabilities()?.roots) return [];
    try {
      const { roots } = await server.server.listRoots(undefined, { timeout: 5_000 });
      clientRoots = roots
        .filter((root) => root.uri.startsWith("file://"))
        .map((root) => fileURLToPath(root.uri));
    } catch (error) {
      logger.warn("Could not read the client's roots", { error: String(error) });
      return [];
    }
    return clientRoots;
  }

  async function roots(): Promise<string[]> {
    const candidates = [...config.roots, ...(await fetchClientRoots())];
    const real: string[] = [];
    const missing: string[] = [];
    for (const candidate of candidates) {
      try {
        real.push(await fs.realpath(candidate));
      } catch {
        // A root that doesn't exist (yet) allows nothing; the errors that need one name it.
        if (config.roots.includes(candidate)) missing.push(candidate);
      }
    }
    missingRoots = missing;
    return [...new Set(real)];
  }

  /** Nothing is allowed: because no root is configured, or because the configured ones are missing. */
  function noRootsError(): LocalPathError {
    if (missingRoots.length === 0) return new LocalPathError(NO_ROOTS);
    const named = missingRoots.map((root) => `"${root}"`).join(", ");
    return new LocalPathError(
      `The configured local folder ${named} does not exist, so files can't be read from or saved to this computer. Create it, or point --root (VAGON_MCP_ROOTS) at a folder that exists, then restart the server.`,
    );
  }

  /** Lexical checks and resolution against the first root; no I/O on the target itself. */
  async function resolveInput(input: string, allowed: string[]): Promise<string> {
    if (allowed.length === 0) throw noRootsError();
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
    return path.resolve(allowed[0]!, input);
  }

  function outside(input: string, allowed: string[]): LocalPathError {
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
        const code = codeOf(error);
        if (code === "ENAMETOOLONG") throw new LocalPathError("The path is too long for this file system.");
        if (code !== "ENOENT") throw new LocalPathError(`Can't use "${absolute}": ${code || String(error)}.`);
        const parent = path.dirname(current);
        if (parent === current) throw new LocalPathError(`Can't resolve "${absolute}".`);
        missing.push(path.basename(current));
        current = parent;
      }
    }
  }

  return {
    roots,

    async checkReadableFile(input) {
      const allowed = await roots();
      const absolute = await resolveInput(input, allowed);
      let real: string;
      try {
        real = await fs.realpath(absolute);
      } catch (error) {
        if (codeOf(error) === "ENAMETOOLONG")
          throw new LocalPathError("The path is too long for this file system.");
        // Don't confirm or deny existence of files outside the roots.
        const nearest = await realpathOfNearest(absolute);
        if (!allowed.some((root) => isInside(root, nearest))) throw outside(input, allowed);
        throw new LocalPathError(
          `There is no file at "${input}". Check the name with your file browser and try again.`,
        );
      }
      if (!allowed.some((root) => isInside(root, real))) throw outside(input, allowed);
      const stat = await fs.stat(real);
      if (!stat.isFile())
        throw new LocalPathError(`"${input}" is not a regular file; upload_file sends one file.`);
      return { path: real as CheckedPath, sizeBytes: stat.size };
    },

    async checkFolder(input) {
      const allowed = await roots();
      if (allowed.length === 0) throw noRootsError();
      const wanted = input ?? config.downloadDir ?? path.join(allowed[0]!, "vagon-downloads");
      const absolute = await resolveInput(wanted, allowed);
      const planned = await realpathOfNearest(absolute);
      if (!allowed.some((root) => isInside(root, planned))) throw outside(wanted, allowed);
      await fs.mkdir(planned, { recursive: true });
      // Re-check after creating: a link swapped in meanwhile must not redirect the write.
      const real = await fs.realpath(planned);
      if (!allowed.some((root) => isInside(root, real))) throw outside(wanted, allowed);
      if (!(await fs.stat(real)).isDirectory())
        throw new LocalPathError(`"${wanted}" is a file, not a folder.`);
      return real as CheckedPath;
    },
  };
}
