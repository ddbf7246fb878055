// The two documented response shapes of the listing endpoints:
// - "jsonapi" (files-api.md): {id: "123", type: "file", attributes: {...}}, folders size 0 and
//   content_type "directory", roots with their real id;
// - "flat" (files-api-older-revision.txt): {id: 123, name, size, content_type, uid, ...},
//   folders size null and content_type null, the root seen as id 0 (`parent_id` 0 for its
//   children) and list-content items as {name, type, path, size}.
// Every other endpoint answers the same in both revisions.
import type { DiskNode, EntryRecord, SandboxState } from "./state.js";
import type { ResponseShape } from "./types.js";

export const REGION = "dublin";

/** Vagon timestamps: ISO 8601 to the second. */
export function responseTimestamp(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function okFields(nowMs: number): { client_code: number; message: string; timestamp: string } {
  return { client_code: 200, message: "OK", timestamp: responseTimestamp(nowMs) };
}

export function errorBody(clientCode: number, message: string, nowMs: number) {
  return { client_code: clientCode, message, timestamp: responseTimestamp(nowMs) };
}

function storageFields(state: SandboxState, entry: EntryRecord) {
  if (entry.kind !== "root") return { file_storage_size: null, file_storage_usage: null };
  const storage = state.storageOf(entry);
  return { file_storage_size: storage.quotaBytes, file_storage_usage: storage.usedBytes };
}

function jsonApiEntry(state: SandboxState, entry: EntryRecord) {
  const isFile = entry.kind === "file";
  return {
    id: String(entry.id),
    type: "file",
    attributes: {
      name: entry.name,
      size: isFile ? entry.sizeBytes : 0,
      content_type: isFile ? entry.contentType : "directory",
      region: REGION,
      status: entry.status,
      object_type: entry.kind,
      path: state.pathOf(entry),
      parent_id: entry.parentId,
      last_modified_date: new Date(entry.modifiedAtMs).toISOString(),
      ...storageFields(state, entry),
      user: entry.owner
        ? {
            id: entry.owner.id,
            type: "user",
            attributes: { email: entry.owner.email, name: entry.owner.name },
          }
        : null,
      // Recordings carry the machine the session ran on (files-api.md: "Machine ID the file belongs to").
      machine_id: entry.machineId ?? entry.recordedOnMachineId,
    },
  };
}

function flatEntry(state: SandboxState, entry: EntryRecord) {
  const isFile = entry.kind === "file";
  const parent = entry.parentId === null ? undefined : state.entries.get(entry.parentId);
  const path = state.pathOf(entry);
  return {
    id: entry.kind === "root" ? 0 : entry.id,
    name: entry.name,
    size: isFile ? entry.sizeBytes : null,
    content_type: isFile ? entry.contentType : null,
    uid: entry.uid,
    object_type: entry.kind === "root" ? "directory" : entry.kind,
    path: path === null ? null : path.slice(1),
    parent_id: entry.parentId === null ? null : parent?.kind === "root" ? 0 : entry.parentId,
    last_modified_date: new Date(entry.modifiedAtMs).toISOString(),
    region: REGION,
    status: entry.status,
    ...storageFields(state, entry),
  };
}

export function renderEntry(state: SandboxState, entry: EntryRecord, shape: ResponseShape) {
  return shape === "flat" ? flatEntry(state, entry) : jsonApiEntry(state, entry);
}

export function renderDiskItem(node: DiskNode, windowsPath: string, shape: ResponseShape) {
  const isDirectory = node.kind === "directory";
  if (shape === "flat") {
    return isDirectory
      ? { name: node.name, type: "directory", path: windowsPath }
      : { name: node.name, type: "file", path: windowsPath, size: node.sizeBytes };
  }
  return { path: windowsPath, name: node.name, is_directory: isDirectory };
}
