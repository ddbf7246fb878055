// The sandbox organization in memory: entries (files, folders, roots), storages with quotas,
// machines with their live disks, and tasks. Children are indexed by parent so a 5,000-entry
// folder lists without scanning the whole organization.
import { randomUUID } from "node:crypto";
import type { ObjectStore, StoredObject } from "./s3.js";
import type { ResponseShape, SandboxEntry } from "./types.js";

/** "shared", "recordings" or "machine:<id>": the storage an entry counts against. */
export type StorageKey = string;
export const SHARED_STORAGE: StorageKey = "shared";
export const RECORDINGS_STORAGE: StorageKey = "recordings";
export const machineStorage = (machineId: number): StorageKey => `machine:${machineId}`;

export type EntryKind = "file" | "directory" | "root";
export type EntryStatus = "pending_upload" | "upload_completed";

export interface UserRecord {
  id: string;
  email: string;
  name: string;
}

export interface PendingUpload {
  uploadId: string;
  partCount: number;
  chunkSizeMb: number;
  overwrite: boolean;
}

export interface EntryRecord {
  id: number;
  uid: string;
  name: string;
  kind: EntryKind;
  parentId: number | null;
  storage: StorageKey;
  /** The machine whose storage holds the entry; null for shared storage and recordings. */
  machineId: number | null;
  /** Recordings only: the machine the session ran on (the `machine_id` filter of /files/recordings). */
  recordedOnMachineId: number | null;
  sizeBytes: number;
  contentType: string;
  status: EntryStatus;
  deleted: boolean;
  createdAtMs: number;
  modifiedAtMs: number;
  /** Key of the S3 object once the upload completed. */
  objectKey: string | null;
  upload: PendingUpload | null;
  owner: UserRecord | null;
}

export interface StorageRecord {
  key: StorageKey;
  rootId: number;
  quotaBytes: number;
  /** Sum of completed file sizes. */
  usedBytes: number;
}

export interface DiskNode {
  name: string;
  kind: "directory" | "file";
  sizeBytes: number;
  /** Keyed by lower-case name: Windows paths are case-insensitive. */
  children: Map<string, DiskNode> | null;
}

export interface MachineRecord {
  id: number;
  running: boolean;
  rootId: number;
  owner: UserRecord;
  disk: DiskNode;
}

export interface TaskRecord {
  id: number;
  machineId: number;
  outputFolderId: number;
  recordingFolderIds: number[];
}

/** Entries created through the API or the helpers get ids from here on; the seed uses lower ids. */
const FIRST_DYNAMIC_ID = 30_000;

export class SandboxState {
  shape: ResponseShape;
  multipleFileDownload: boolean;
  readonly entries = new Map<number, EntryRecord>();
  readonly storages = new Map<StorageKey, StorageRecord>();
  readonly machines = new Map<number, MachineRecord>();
  readonly tasks = new Map<number, TaskRecord>();
  private readonly childIndex = new Map<number, Set<number>>();
  /** Live children by exact name, per folder: name clash checks stay O(1) in huge folders. */
  private readonly nameIndex = new Map<number, Map<string, number[]>>();
  private nextEntryId = FIRST_DYNAMIC_ID;

  constructor(
    readonly store: ObjectStore,
    readonly clock: () => number,
    private readonly defaultQuotaBytes: number,
    options: { shape: ResponseShape; multipleFileDownload: boolean },
  ) {
    this.shape = options.shape;
    this.multipleFileDownload = options.multipleFileDownload;
  }

  // -- structure ------------------------------------------------------------------------------

  addRoot(input: {
    id: number;
    storage: StorageKey;
    name: string;
    machineId: number | null;
    owner: UserRecord | null;
    modifiedAtMs?: number;
  }): EntryRecord {
    const root = this.insert({
      id: input.id,
      name: input.name,
      kind: "root",
      parentId: null,
      storage: input.storage,
      machineId: input.machineId,
      recordedOnMachineId: null,
      owner: input.owner,
      modifiedAtMs: input.modifiedAtMs,
    });
    this.storages.set(input.storage, {
      key: input.storage,
      rootId: root.id,
      quotaBytes: this.defaultQuotaBytes,
      usedBytes: 0,
    });
    return root;
  }

  addMachine(input: {
    id: number;
    running: boolean;
    rootId: number;
    rootName: string;
    owner: UserRecord;
    disk: DiskNode;
  }) {
    this.addRoot({
      id: input.rootId,
      storage: machineStorage(input.id),
      name: input.rootName,
      machineId: input.id,
      owner: input.owner,
    });
    this.machines.set(input.id, {
      id: input.id,
      running: input.running,
      rootId: input.rootId,
      owner: input.owner,
      disk: input.disk,
    });
  }

  addDirectory(
    parent: EntryRecord,
    name: string,
    options: { id?: number; recordedOnMachineId?: number | null; modifiedAtMs?: number } = {},
  ): EntryRecord {
    return this.insert({
      id: options.id,
      name,
      kind: "directory",
      parentId: parent.id,
      storage: parent.storage,
      machineId: parent.machineId,
      recordedOnMachineId: options.recordedOnMachineId ?? parent.recordedOnMachineId,
      owner: parent.owner,
      modifiedAtMs: options.modifiedAtMs,
    });
  }

  /** A completed file whose bytes are written right away (seed data, test helpers). */
  addCompletedFile(
    parent: EntryRecord,
    name: string,
    content: Buffer,
    contentType: string,
    options: { id?: number; modifiedAtMs?: number } = {},
  ): EntryRecord {
    return this.#completedEntry(parent, name, contentType, options, (key) =>
      this.store.putObject(key, content, contentType, name),
    );
  }

  /** A completed file whose bytes are a file already on disk, taken as they are (benchmarks: GiBs). */
  adoptCompletedFile(
    parent: EntryRecord,
    name: string,
    path: string,
    sizeBytes: number,
    contentType: string,
  ): EntryRecord {
    return this.#completedEntry(parent, name, contentType, {}, (key) =>
      this.store.adoptFile(key, path, sizeBytes, contentType, name),
    );
  }

  #completedEntry(
    parent: EntryRecord,
    name: string,
    contentType: string,
    options: { id?: number; modifiedAtMs?: number },
    store: (objectKey: string) => StoredObject,
  ): EntryRecord {
    const entry = this.insert({
      id: options.id,
      name,
      kind: "file",
      parentId: parent.id,
      storage: parent.storage,
      machineId: parent.machineId,
      recordedOnMachineId: parent.recordedOnMachineId,
      owner: parent.owner,
      modifiedAtMs: options.modifiedAtMs,
      contentType,
    });
    const object = store(objectKeyFor(entry));
    entry.objectKey = object.key;
    entry.sizeBytes = object.sizeBytes;
    entry.status = "upload_completed";
    this.storageOf(entry).usedBytes += object.sizeBytes;
    return entry;
  }

  /** A completed file of a declared size whose bytes are zeros on a sparse file (no disk used). */
  addDeclaredFile(
    parent: EntryRecord,
    name: string,
    sizeBytes: number,
    contentType: string,
    options: { id?: number; modifiedAtMs?: number } = {},
  ): EntryRecord {
    return this.#completedEntry(parent, name, contentType, options, (key) =>
      this.store.putZeros(key, sizeBytes, contentType, name),
    );
  }

  /** A file entry waiting for its multipart upload (POST /files). */
  addPendingFile(
    parent: EntryRecord,
    input: {
      name: string;
      sizeBytes: number;
      contentType: string;
      chunkSizeMb: number;
      partCount: number;
      overwrite: boolean;
    },
  ): EntryRecord {
    const entry = this.insert({
      name: input.name,
      kind: "file",
      parentId: parent.id,
      storage: parent.storage,
      machineId: parent.machineId,
      recordedOnMachineId: parent.recordedOnMachineId,
      owner: parent.owner,
      contentType: input.contentType,
    });
    entry.sizeBytes = input.sizeBytes;
    entry.status = "pending_upload";
    entry.upload = {
      uploadId: this.store.createUpload(objectKeyFor(entry)),
      partCount: input.partCount,
      chunkSizeMb: input.chunkSizeMb,
      overwrite: input.overwrite,
    };
    return entry;
  }

  /** Marks a pending file completed once its object exists. */
  markCompleted(entry: EntryRecord, objectKey: string): void {
    entry.status = "upload_completed";
    entry.objectKey = objectKey;
    entry.upload = null;
    entry.modifiedAtMs = this.clock();
    this.storageOf(entry).usedBytes += entry.sizeBytes;
    this.touchParent(entry);
  }

  /**
   * Soft-deletes an entry and everything below it. Bytes are removed in the background, as
   * Vagon's delete job does; readers stop seeing the entries at once.
   */
  deleteTree(root: EntryRecord): number {
    let deletedCount = 0;
    const stack: EntryRecord[] = [root];
    if (root.parentId !== null) {
      this.childIndex.get(root.parentId)?.delete(root.id);
      this.unindexName(root);
    }
    this.touchParent(root);
    while (stack.length > 0) {
      const entry = stack.pop();
      if (!entry || entry.deleted) continue;
      entry.deleted = true;
      deletedCount++;
      if (entry.kind === "file") {
        if (entry.status === "upload_completed") this.storageOf(entry).usedBytes -= entry.sizeBytes;
        if (entry.objectKey) this.store.deleteObject(entry.objectKey);
        if (entry.upload) this.store.abortUpload(entry.upload.uploadId);
        entry.upload = null;
        continue;
      }
      const childIds = this.childIndex.get(entry.id);
      this.childIndex.delete(entry.id);
      this.nameIndex.delete(entry.id);
      for (const childId of childIds ?? []) {
        const child = this.entries.get(childId);
        if (child) stack.push(child);
      }
    }
    return deletedCount;
  }

  // -- queries --------------------------------------------------------------------------------

  liveEntry(id: number): EntryRecord | undefined {
    const entry = this.entries.get(id);
    return entry && !entry.deleted ? entry : undefined;
  }

  /** Live children, unsorted. */
  childrenOf(parentId: number): EntryRecord[] {
    const ids = this.childIndex.get(parentId);
    if (!ids) return [];
    const children: EntryRecord[] = [];
    for (const id of ids) {
      const child = this.entries.get(id);
      if (child) children.push(child);
    }
    return children;
  }

  /** A live sibling with exactly this name that blocks a new entry (completed files and folders). */
  findBlockingSibling(parentId: number, name: string): EntryRecord | undefined {
    const ids = this.nameIndex.get(parentId)?.get(name);
    if (!ids) return undefined;
    for (const id of ids) {
      const child = this.entries.get(id);
      if (child && child.name === name && child.status === "upload_completed") return child;
    }
    return undefined;
  }

  storageOf(entry: EntryRecord): StorageRecord {
    const storage = this.storages.get(entry.storage);
    if (!storage) throw new Error(`no storage ${entry.storage}`);
    return storage;
  }

  storageByKey(key: StorageKey): StorageRecord {
    const storage = this.storages.get(key);
    if (!storage) throw new Error(`no storage ${key}`);
    return storage;
  }

  rootOf(key: StorageKey): EntryRecord {
    const root = this.entries.get(this.storageByKey(key).rootId);
    if (!root) throw new Error(`no root for ${key}`);
    return root;
  }

  /** "/Project Folder/brief.md"; null for roots. */
  pathOf(entry: EntryRecord): string | null {
    if (entry.kind === "root") return null;
    const names: string[] = [];
    let current: EntryRecord | undefined = entry;
    while (current && current.kind !== "root") {
      names.push(current.name);
      current = current.parentId === null ? undefined : this.entries.get(current.parentId);
    }
    return `/${names.reverse().join("/")}`;
  }

  /** True when `entry` is `ancestorId` or lies below it. */
  isWithin(entry: EntryRecord, ancestorId: number): boolean {
    let current: EntryRecord | undefined = entry;
    while (current) {
      if (current.id === ancestorId) return true;
      current = current.parentId === null ? undefined : this.entries.get(current.parentId);
    }
    return false;
  }

  toPublic(entry: EntryRecord): SandboxEntry {
    return {
      id: entry.id,
      name: entry.name,
      kind: entry.kind,
      parentId: entry.parentId,
      machineId: entry.machineId,
      sizeBytes: entry.kind === "file" ? entry.sizeBytes : 0,
      contentType: entry.kind === "file" ? entry.contentType : "directory",
      status: entry.status,
      deleted: entry.deleted,
    };
  }

  // -- internals ------------------------------------------------------------------------------

  private insert(input: {
    id?: number;
    name: string;
    kind: EntryKind;
    parentId: number | null;
    storage: StorageKey;
    machineId: number | null;
    recordedOnMachineId: number | null;
    owner: UserRecord | null;
    modifiedAtMs?: number;
    contentType?: string;
  }): EntryRecord {
    const id = input.id ?? this.nextEntryId++;
    if (this.entries.has(id)) throw new Error(`entry id ${id} already exists`);
    const nowMs = input.modifiedAtMs ?? this.clock();
    const entry: EntryRecord = {
      id,
      uid: randomUUID(),
      name: input.name,
      kind: input.kind,
      parentId: input.parentId,
      storage: input.storage,
      machineId: input.machineId,
      recordedOnMachineId: input.recordedOnMachineId,
      sizeBytes: 0,
      contentType: input.contentType ?? "directory",
      status: "upload_completed",
      deleted: false,
      createdAtMs: nowMs,
      modifiedAtMs: nowMs,
      objectKey: null,
      upload: null,
      owner: input.owner,
    };
    this.entries.set(id, entry);
    if (input.parentId !== null) {
      let siblings = this.childIndex.get(input.parentId);
      if (!siblings) {
        siblings = new Set();
        this.childIndex.set(input.parentId, siblings);
      }
      siblings.add(id);
      let byName = this.nameIndex.get(input.parentId);
      if (!byName) {
        byName = new Map();
        this.nameIndex.set(input.parentId, byName);
      }
      const sameName = byName.get(input.name);
      if (sameName) sameName.push(id);
      else byName.set(input.name, [id]);
    }
    if (input.kind !== "file") this.childIndex.set(id, this.childIndex.get(id) ?? new Set());
    return entry;
  }

  private unindexName(entry: EntryRecord): void {
    if (entry.parentId === null) return;
    const byName = this.nameIndex.get(entry.parentId);
    const sameName = byName?.get(entry.name);
    if (!byName || !sameName) return;
    const remaining = sameName.filter((id) => id !== entry.id);
    if (remaining.length === 0) byName.delete(entry.name);
    else byName.set(entry.name, remaining);
  }

  private touchParent(entry: EntryRecord): void {
    if (entry.parentId === null) return;
    const parent = this.entries.get(entry.parentId);
    if (parent) parent.modifiedAtMs = this.clock();
  }
}

/** S3 key of a file's object: readable in URLs, unique per entry. */
export function objectKeyFor(entry: EntryRecord): string {
  return `files/${entry.uid}/${encodeURIComponent(entry.name)}`;
}

/** Listing order: folders first, then by name (case-insensitive), then by id. */
export function sortForListing(entries: EntryRecord[]): EntryRecord[] {
  const keyed = entries.map((entry) => ({
    entry,
    dir: entry.kind === "file" ? 1 : 0,
    name: entry.name.toLowerCase(),
  }));
  keyed.sort(
    (a, b) => a.dir - b.dir || (a.name < b.name ? -1 : a.name > b.name ? 1 : a.entry.id - b.entry.id),
  );
  return keyed.map((item) => item.entry);
}
