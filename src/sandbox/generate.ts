// A large organization on demand, for tests and benchmarks: `folders` folders nested up to five
// levels under one new folder and `entries - folders` files spread over them, with names,
// declared sizes (100 bytes to a few GB; zeros on a sparse file, no disk used) and ages over the
// last year drawn from a seeded PRNG, so the same options give the same tree every time.
import { mulberry32 } from "./faults.js";
import type { EntryRecord, SandboxState } from "./state.js";

export interface GenerateOptions {
  /**
   * "tree" (default): a new folder holding the nested tree. "sessions": `folders` session folders
   * directly in the parent, each with a recording and its log, dated over the last year.
   */
  layout?: "tree" | "sessions";
  name?: string;
  /** Files and folders together (default 50,000). */
  entries?: number;
  folders?: number;
  seed?: number;
  /** "sessions" in the recordings tree: the machine the sessions ran on. */
  recordedOnMachineId?: number | null;
}

export interface GeneratedTree {
  folderId: number;
  files: number;
  folders: number;
  bytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_LEVELS = 5;
const KINDS = [
  { prefix: "render", extension: "exr", contentType: "image/x-exr" },
  { prefix: "rec", extension: "mp4", contentType: "video/mp4" },
  { prefix: "scene", extension: "blend", contentType: "application/octet-stream" },
  { prefix: "log", extension: "txt", contentType: "text/plain" },
  { prefix: "frame", extension: "png", contentType: "image/png" },
] as const;

export function generateOrganization(
  state: SandboxState,
  parent: EntryRecord,
  options: GenerateOptions = {},
): GeneratedTree {
  if (options.layout === "sessions") return generateSessions(state, parent, options);
  const random = mulberry32(options.seed ?? 1);
  const totalEntries = options.entries ?? 50_000;
  const folderCount = Math.min(options.folders ?? 2_000, totalEntries);
  const fileCount = totalEntries - folderCount;
  const nowMs = state.clock();
  const age = () => nowMs - Math.floor(random() * 365 * DAY_MS);
  const top = state.addDirectory(parent, options.name ?? `Generated ${totalEntries}`, {
    modifiedAtMs: nowMs,
  });
  const folders: Array<{ entry: EntryRecord; level: number }> = [{ entry: top, level: 0 }];
  for (let index = 0; index < folderCount; index++) {
    // Mostly under recent folders, so levels fill out instead of one flat fan.
    let parentFolder = folders[Math.floor(random() * folders.length)] ?? folders[0];
    if (!parentFolder || parentFolder.level >= MAX_LEVELS) parentFolder = folders[0];
    if (!parentFolder) break;
    const entry = state.addDirectory(parentFolder.entry, `folder-${String(index).padStart(5, "0")}`, {
      modifiedAtMs: age(),
    });
    folders.push({ entry, level: parentFolder.level + 1 });
  }
  let bytes = 0;
  for (let index = 0; index < fileCount; index++) {
    const folder = folders[1 + Math.floor(random() * (folders.length - 1))] ?? folders[0];
    const kind = KINDS[Math.floor(random() * KINDS.length)] ?? KINDS[0];
    // Log-uniform from 100 bytes to ~4 GB: many small files, a few huge ones.
    const sizeBytes = Math.round(100 * 10 ** (random() * 7.6));
    bytes += sizeBytes;
    if (!folder) break;
    state.addDeclaredFile(
      folder.entry,
      `${kind.prefix}-${String(index).padStart(6, "0")}.${kind.extension}`,
      sizeBytes,
      kind.contentType,
      {
        modifiedAtMs: age(),
      },
    );
  }
  // Keep the organization believable: usage stays under its quota.
  const storage = state.storageOf(top);
  storage.quotaBytes = Math.max(storage.quotaBytes, Math.ceil(storage.usedBytes * 1.25));
  return { folderId: top.id, files: fileCount, folders: folderCount, bytes };
}

/** Session recordings as Vagon keeps them: Session_N/ with rec-<stamp>.mp4 and rec-<stamp>.log. */
function generateSessions(state: SandboxState, parent: EntryRecord, options: GenerateOptions): GeneratedTree {
  const random = mulberry32(options.seed ?? 1);
  const sessions = options.folders ?? 300;
  const nowMs = state.clock();
  let bytes = 0;
  for (let index = 0; index < sessions; index++) {
    const recordedMs = nowMs - Math.floor(random() * 365 * DAY_MS);
    const stamp = new Date(recordedMs).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    const folder = state.addDirectory(parent, `Session_${10_000 + index}`, {
      modifiedAtMs: recordedMs,
      recordedOnMachineId: options.recordedOnMachineId,
    });
    const videoBytes = Math.round(50 * 1024 ** 2 * 40 ** random());
    const logBytes = 2_000 + Math.floor(random() * 20_000);
    state.addDeclaredFile(folder, `rec-${stamp}.mp4`, videoBytes, "video/mp4", { modifiedAtMs: recordedMs });
    state.addDeclaredFile(folder, `rec-${stamp}.log`, logBytes, "application/octet-stream", {
      modifiedAtMs: recordedMs,
    });
    bytes += videoBytes + logBytes;
  }
  const storage = state.storageOf(parent);
  storage.quotaBytes = Math.max(storage.quotaBytes, Math.ceil(storage.usedBytes * 1.25));
  return { folderId: parent.id, files: sessions * 2, folders: sessions, bytes };
}
