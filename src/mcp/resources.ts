// vagon:// resources: file bytes, folder listings and zip job status (SPEC §3).

import type { ListResourcesResult, ReadResourceResult } from "@modelcontextprotocol/server";
import { type McpServer, ResourceNotFoundError, ResourceTemplate } from "@modelcontextprotocol/server";
import type { Logger } from "../log.js";
import { formatBytes } from "../units.js";
import { VagonError } from "../vagon/errors.js";
import { openStoredFile } from "../vagon/ranged-reader.js";
import type { Entry, Location, VagonClient } from "../vagon/types.js";
import { errorText, isUserFacing, ToolError, UserInputError } from "./kit/errors.js";
import { expiryInstant } from "./kit/instant.js";
import { explainFolderAmongFiles, folderNotFileText } from "./kit/wrong-kind.js";
import { listingOutput, loadTypeTable } from "./listing/compact.js";
import { listFolder } from "./listing/listing.js";
import { classify, isTextType, SNIFF_BYTES } from "./reading/classify.js";

/** Larger files are for download_files: a resource is read whole into the conversation. */
export const MAX_RESOURCE_BYTES = 10 * 1024 * 1024;
/** Entries in a folder resource; the JSON says `next_page` when there are more. */
const MAX_FOLDER_ENTRIES = 1000;
/** Completion values offered per request (the MCP cap is 100). */
const MAX_COMPLETIONS = 100;

function idOf(value: string | string[] | undefined, label: string): number {
  const text = Array.isArray(value) ? value[0] : value;
  const id = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(id)) {
    throw new UserInputError(`${label} must be a whole number, got "${text ?? ""}".`);
  }
  return id;
}

async function folderJson(
  client: VagonClient,
  uri: URL,
  location: Location,
  parentId: number,
  machineId?: number,
): Promise<ReadResourceResult> {
  const listing = await listFolder(client, {
    location,
    machineId,
    parentId,
    limit: MAX_FOLDER_ENTRIES,
    recursive: false,
    maxDepth: 0,
  });
  const body = listingOutput(listing, machineId, await loadTypeTable());
  return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(body) }] };
}

async function fileContents(client: VagonClient, uri: URL, fileId: number): Promise<ReadResourceResult> {
  const cannot = `vagon://files/${fileId} can't hold it (read vagon://shared/${fileId} instead)`;
  const file = await openStoredFile(client, fileId).catch((error: unknown) =>
    explainFolderAmongFiles(error, client, [fileId], undefined, cannot),
  );
  if (!file)
    throw new UserInputError(
      folderNotFileText([{ id: fileId, location: "shared", name: null, total: 0 }], cannot),
    );
  const { reader } = file;
  if (reader.sizeBytes > MAX_RESOURCE_BYTES) {
    throw new UserInputError(
      `File ${fileId}${file.name ? ` (${file.name})` : ""} is ${formatBytes(reader.sizeBytes)}, over the 10 MB limit for reading it as a resource. Call read_file with file_id=${fileId} to read parts of it, or download_files with file_ids=[${fileId}] and save_to to save it to disk.`,
    );
  }
  // The same ranged reader as read_file: retried, resumed, and a link that expired renewed.
  const bytes = await reader.read(0, reader.sizeBytes);
  const mimeType = file.contentType ?? "application/octet-stream";
  const isText =
    isTextType(mimeType) ||
    classify(file.name ?? "", file.contentType, bytes.subarray(0, SNIFF_BYTES), bytes.length <= SNIFF_BYTES)
      .kind === "text";
  return isText
    ? { contents: [{ uri: uri.href, mimeType, text: bytes.toString("utf8") }] }
    : { contents: [{ uri: uri.href, mimeType, blob: bytes.toString("base64") }] };
}

async function downloadJson(client: VagonClient, uri: URL, downloadId: number): Promise<ReadResourceResult> {
  const job = await client.getDownload(downloadId);
  const body = {
    download_id: job.downloadId,
    status: job.status,
    url: job.url,
    expires_at: expiryInstant(job.expiresAt),
    size: job.sizeBytes,
  };
  return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(body) }] };
}

const FOLDER_WORDS = {
  title: "Vagon folder",
  description: "The folder's listing as JSON (the list_files output).",
  mimeType: "application/json",
};

export function registerResources(server: McpServer, client: VagonClient, logger: Logger): void {
  registerFileResource(server, client, logger);
  registerSharedFolderResource(server, client, logger);
  registerMachineFolderResource(server, client, logger);
  registerRecordingsFolderResource(server, client, logger);
  registerDownloadResource(server, client, logger);
}

/**
 * `read`, with its errors turned into JSON-RPC errors: same wording as tool errors, secrets
 * redacted. One Vagon doesn't have is "resource not found", which the SDK sends as -32602 in
 * every era.
 */
function guarded<Args extends [URL, ...unknown[]]>(
  logger: Logger,
  where: string,
  read: (...args: Args) => Promise<ReadResourceResult>,
) {
  return async (...args: Args): Promise<ReadResourceResult> => {
    try {
      return await read(...args);
    } catch (error) {
      const text = errorText(error, where, logger);
      if (error instanceof VagonError && error.status === 404) {
        throw new ResourceNotFoundError(args[0].href, text);
      }
      throw isUserFacing(error) ? new ToolError(text) : new Error(text);
    }
  };
}

async function sharedRootEntries(client: VagonClient, logger: Logger): Promise<Entry[]> {
  try {
    const listing = await listFolder(client, {
      location: "shared",
      parentId: 0,
      limit: 100,
      recursive: false,
      maxDepth: 0,
    });
    return listing.entries;
  } catch (error) {
    // Listing and completion are conveniences: a failure offers nothing rather than breaking the host.
    logger.warn("Could not list the shared root for resources", {
      error: error instanceof Error ? error.message : String(error),
    });
    return [];
  }
}

/** Completes an id from the shared root's entries of `kind`, after the `extra` ones. */
function completeIds(client: VagonClient, logger: Logger, kind: Entry["kind"], extra: string[] = []) {
  return async (value: string) => {
    const ids = [
      ...extra,
      ...(await sharedRootEntries(client, logger))
        .filter((entry) => entry.kind === kind)
        .map((entry) => String(entry.id)),
    ];
    return ids.filter((id) => id.startsWith(value.trim())).slice(0, MAX_COMPLETIONS);
  };
}

/** resources/list: the shared root's entries, files as bytes and folders as listings. */
async function listSharedRoot(client: VagonClient, logger: Logger): Promise<ListResourcesResult> {
  return {
    resources: [
      // The SDK spreads the file template's title and description over every listed resource:
      // folders say what they are instead of inheriting a file's words.
      { uri: "vagon://shared/0", name: "Shared folder (root)", ...FOLDER_WORDS },
      ...(await sharedRootEntries(client, logger)).map((entry) =>
        entry.kind === "directory"
          ? { uri: `vagon://shared/${entry.id}`, name: `${entry.name}/`, ...FOLDER_WORDS }
          : {
              uri: `vagon://files/${entry.id}`,
              name: entry.name,
              ...(entry.content_type ? { mimeType: entry.content_type } : {}),
              ...(entry.size !== null ? { size: entry.size } : {}),
            },
      ),
    ],
  };
}

function registerFileResource(server: McpServer, client: VagonClient, logger: Logger): void {
  server.registerResource(
    "file",
    new ResourceTemplate("vagon://files/{file_id}", {
      list: () => listSharedRoot(client, logger),
      complete: { file_id: completeIds(client, logger, "file") },
    }),
    {
      title: "Vagon file",
      description:
        "A file's bytes: text for text types, base64 otherwise. Files over 10 MB: use download_files.",
    },
    guarded(logger, "vagon://files", (uri, variables) =>
      fileContents(client, uri, idOf(variables.file_id, "file_id")),
    ),
  );
}

function registerSharedFolderResource(server: McpServer, client: VagonClient, logger: Logger): void {
  server.registerResource(
    "shared-folder",
    new ResourceTemplate("vagon://shared/{parent_id}", {
      list: undefined,
      complete: { parent_id: completeIds(client, logger, "directory", ["0"]) },
    }),
    {
      title: "Shared folder listing",
      description: "list_files output (JSON) for a folder of the shared storage; 0 = its root.",
      mimeType: "application/json",
    },
    guarded(logger, "vagon://shared", (uri, variables) =>
      folderJson(client, uri, "shared", idOf(variables.parent_id, "parent_id")),
    ),
  );
}

function registerMachineFolderResource(server: McpServer, client: VagonClient, logger: Logger): void {
  server.registerResource(
    "machine-folder",
    new ResourceTemplate("vagon://machines/{machine_id}/files/{parent_id}", { list: undefined }),
    {
      title: "Machine folder listing",
      description: "list_files output (JSON) for a folder of a machine's storage; parent_id 0 = its root.",
      mimeType: "application/json",
    },
    guarded(logger, "vagon://machines", (uri, variables) =>
      folderJson(
        client,
        uri,
        "machine",
        idOf(variables.parent_id, "parent_id"),
        idOf(variables.machine_id, "machine_id"),
      ),
    ),
  );
}

function registerRecordingsFolderResource(server: McpServer, client: VagonClient, logger: Logger): void {
  server.registerResource(
    "recordings-folder",
    new ResourceTemplate("vagon://recordings/{parent_id}", { list: undefined }),
    {
      title: "Recordings listing",
      description: "list_files output (JSON) for a session recordings folder; 0 = the recordings root.",
      mimeType: "application/json",
    },
    guarded(logger, "vagon://recordings", (uri, variables) =>
      folderJson(client, uri, "recordings", idOf(variables.parent_id, "parent_id")),
    ),
  );
}

function registerDownloadResource(server: McpServer, client: VagonClient, logger: Logger): void {
  server.registerResource(
    "download",
    new ResourceTemplate("vagon://downloads/{download_id}", { list: undefined }),
    {
      title: "Zip job status",
      description: "Status (JSON) of a zip job started by download_files or download_task_bundle.",
      mimeType: "application/json",
    },
    guarded(logger, "vagon://downloads", (uri, variables) =>
      downloadJson(client, uri, idOf(variables.download_id, "download_id")),
    ),
  );
}
