// vagon:// resources: file bytes, folder listings and zip job status (SPEC §3).
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { request } from "undici";
import type { Location, VagonClient } from "../vagon/types.js";
import { UserInputError } from "./errors.js";
import { listFolder } from "./listing.js";

const MAX_RESOURCE_BYTES = 10 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(json|xml|csv|x-yaml|yaml|javascript|x-ndjson))|\+(json|xml)$/;

function idOf(value: string | string[] | undefined, label: string): number {
  const text = Array.isArray(value) ? value[0] : value;
  const id = Number(text);
  if (!Number.isInteger(id) || id < 0)
    throw new UserInputError(`${label} must be a whole number, got "${text}".`);
  return id;
}

async function folderJson(
  client: VagonClient,
  uri: URL,
  location: Location,
  parentId: number,
  machineId?: number,
) {
  const listing = await listFolder(client, {
    location,
    machineId,
    parentId,
    limit: 1000,
    recursive: false,
    maxDepth: 0,
  });
  const body = {
    folder: listing.folder,
    entries: listing.entries,
    total: listing.total,
    next_page: listing.nextPage,
    ...(listing.storage ? { storage: listing.storage } : {}),
  };
  return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(body) }] };
}

async function fileContents(client: VagonClient, uri: URL, fileId: number): Promise<ReadResourceResult> {
  const start = await client.startDownload({ fileIds: [fileId] });
  if (start.kind !== "link") {
    throw new UserInputError(
      `Item ${fileId} is a folder; list it with list_files or fetch it with download_files.`,
    );
  }
  if ((start.sizeBytes ?? 0) > MAX_RESOURCE_BYTES) {
    throw new UserInputError(
      `File ${fileId} is ${start.sizeBytes} bytes, over the 10 MB resource limit. Use download_files with save_to instead.`,
    );
  }
  const response = await request(start.url, { dispatcher: client.dispatcher, maxRedirections: 0 } as never);
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new UserInputError(`Fetching file ${fileId} failed with HTTP ${response.statusCode}. Try again.`);
  }
  const bytes = Buffer.from(await response.body.arrayBuffer());
  const mimeType = start.contentType ?? "application/octet-stream";
  return TEXT_TYPES.test(mimeType)
    ? { contents: [{ uri: uri.href, mimeType, text: bytes.toString("utf8") }] }
    : { contents: [{ uri: uri.href, mimeType, blob: bytes.toString("base64") }] };
}

export function registerResources(server: McpServer, client: VagonClient): void {
  const completeSharedIds = async () => {
    const listing = await listFolder(client, {
      location: "shared",
      parentId: 0,
      limit: 100,
      recursive: false,
      maxDepth: 0,
    });
    return listing.entries.map((entry) => String(entry.id));
  };

  server.registerResource(
    "file",
    new ResourceTemplate("vagon://files/{file_id}", {
      list: async () => {
        const listing = await listFolder(client, {
          location: "shared",
          parentId: 0,
          limit: 100,
          recursive: false,
          maxDepth: 0,
        });
        return {
          resources: listing.entries
            .filter((entry) => entry.kind === "file")
            .map((entry) => ({
              uri: `vagon://files/${entry.id}`,
              name: entry.name,
              ...(entry.content_type ? { mimeType: entry.content_type } : {}),
              ...(entry.size !== null ? { size: entry.size } : {}),
            })),
        };
      },
      complete: { file_id: completeSharedIds },
    }),
    {
      title: "Vagon file",
      description: "A file's bytes (text or base64); files over 10 MB: use download_files.",
    },
    (uri, variables) => fileContents(client, uri, idOf(variables.file_id, "file_id")),
  );

  server.registerResource(
    "shared-folder",
    new ResourceTemplate("vagon://shared/{parent_id}", {
      list: undefined,
      complete: { parent_id: completeSharedIds },
    }),
    {
      title: "Shared folder listing",
      description: "list_files output for a shared folder (0 = root).",
      mimeType: "application/json",
    },
    (uri, variables) => folderJson(client, uri, "shared", idOf(variables.parent_id, "parent_id")),
  );

  server.registerResource(
    "machine-folder",
    new ResourceTemplate("vagon://machines/{machine_id}/files/{parent_id}", { list: undefined }),
    {
      title: "Machine folder listing",
      description: "list_files output for a machine's storage folder.",
      mimeType: "application/json",
    },
    (uri, variables) =>
      folderJson(
        client,
        uri,
        "machine",
        idOf(variables.parent_id, "parent_id"),
        idOf(variables.machine_id, "machine_id"),
      ),
  );

  server.registerResource(
    "recordings-folder",
    new ResourceTemplate("vagon://recordings/{parent_id}", { list: undefined }),
    {
      title: "Recordings listing",
      description: "list_files output for a session recordings folder.",
      mimeType: "application/json",
    },
    (uri, variables) => folderJson(client, uri, "recordings", idOf(variables.parent_id, "parent_id")),
  );

  server.registerResource(
    "download",
    new ResourceTemplate("vagon://downloads/{download_id}", { list: undefined }),
    {
      title: "Zip job status",
      description: "Status of a zip job started by download_files.",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const job = await client.getDownload(idOf(variables.download_id, "download_id"));
      const body = {
        download_id: job.downloadId,
        status: job.status,
        url: job.url,
        expires_at: job.expiresAt,
        size: job.sizeBytes,
      };
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(body) }] };
    },
  );
}
