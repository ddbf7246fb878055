// The believable organization every sandbox starts with (unless `seed: false`): a shared
// folder, two machines (100 running with a live disk, 200 stopped), task 42 with its output
// folder and a linked session recording. Ids are fixed so tests and docs can name them.
//
// API conventions worth knowing when you arrange data here:
// - listings default to per_page 20; larger per_page values are clamped to 100 (not refused);
// - `q` matches names case-insensitively within the listed folder;
// - listings put folders first, then sort by name.
import { deflateSync } from "node:zlib";
import type { DiskNode, EntryRecord, SandboxState, UserRecord } from "./state.js";
import { machineStorage, RECORDINGS_STORAGE, SHARED_STORAGE } from "./state.js";

export const SEED = {
  /** Default API key; the secret is random per process unless SandboxOptions.apiSecret is set. */
  apiKey: "vagon-sandbox-key",
  sharedRootId: 5122,
  projectFolderId: 18088,
  briefFileId: 18089,
  dataCsvFileId: 18090,
  nestedFolderId: 18091,
  nestedFileId: 18092,
  sharedTextFileId: 18094,
  sharedImageFileId: 18095,
  runningMachineId: 100,
  machineRootId: 18465,
  machineProjectFolderId: 18468,
  machineImageFileId: 18473,
  stoppedMachineId: 200,
  stoppedMachineRootId: 19001,
  taskId: 42,
  taskOutputFolderId: 18480,
  recordingsRootId: 22049,
  sessionFolderId: 22086,
  unlinkedSessionFolderId: 22090,
  stoppedMachineSessionFolderId: 22095,
  /** A folder that exists on machine 100's live disk. */
  liveDiskPath: "C:\\Users",
  /** Housekeeping data, dated relative to the sandbox clock at start: Renders/ nests 4 levels. */
  rendersFolderId: 23000,
  rendersFinalMovieId: 23003,
  rendersArchiveFolderId: 23020,
  /** Session folders of machine 100 recorded 2 to 150 days before the sandbox started. */
  recentSessionFolderIds: [23101, 23111, 23121],
  oldSessionFolderIds: [23131, 23141, 23151],
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;
const MB = 1024 * 1024;
const GB = 1024 * MB;

const SEAT_USER: UserRecord = {
  id: "f1592625-edd0-48df-9bc0-de14910ec936",
  email: "user@vagon.io",
  name: "Computer User",
};
const DESIGN_USER: UserRecord = {
  id: "7c2b9d1e-3f4a-4b6c-9d8e-0a1b2c3d4e5f",
  email: "design@vagon.io",
  name: "Design Seat",
};

const at = (iso: string) => Date.parse(iso);

// -- tiny but real file contents ------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buffer) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A valid RGB PNG with a simple gradient, so image viewers open the seeded files. */
export function makePng(width: number, height: number, tint: [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = (tint[0] + x * 4) & 0xff;
      row[2 + x * 3] = (tint[1] + y * 4) & 0xff;
      row[3 + x * 3] = tint[2];
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Deterministic stand-in for a screen recording: an MP4 `ftyp` box, then filler. */
function fakeMp4(sizeBytes: number, seed: number): Buffer {
  const bytes = Buffer.alloc(sizeBytes);
  Buffer.from("000000186674797069736f6d0000020069736f6d69736f32", "hex").copy(bytes);
  let state = seed;
  for (let index = 24; index < sizeBytes; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[index] = state >>> 24;
  }
  return bytes;
}

function recordingLog(sessionId: number, startIso: string): string {
  const lines = [
    `${startIso} INFO  session ${sessionId} recording started (1920x1080 @ 30 fps)`,
    `${startIso} INFO  encoder: h264, bitrate 4500 kbps`,
    `${startIso} INFO  agent: opened C:\\Projects\\render\\scene.blend`,
    `${startIso} INFO  agent: exported result.csv and summary.md`,
    `${startIso} INFO  session ${sessionId} recording stopped`,
  ];
  return `${lines.join("\n")}\n`;
}

const TEXT = {
  brief: `# Project brief

Render the spring campaign scenes at 4K and deliver a CSV of frame timings.

- Scenes: hero, product close-up, outro
- Deadline: Friday
- Contact: studio@example.com
`,
  dataCsv: `scene,frames,avg_frame_seconds
hero,240,12.4
closeup,180,9.8
outro,120,7.1
`,
  links: "https://docs.vagon.io\nhttps://example.com/moodboard\n",
  welcome: `Welcome to the Teams Shared Folder!

Everything here is shared with every member of the organization.
Put project files in "Project Folder".
`,
  renderSettings: `${JSON.stringify({ resolution: [3840, 2160], samples: 256, engine: "cycles" }, null, 2)}\n`,
  resultCsv: `frame,seconds,status
1,12.1,ok
2,12.6,ok
3,11.9,ok
`,
  summary: `# Task 42 summary

Rendered 3 frames of the hero scene. Average 12.2 s per frame. No errors.
`,
  archiveNotes: "Old renders moved to cold storage on 2025-12-01.\n",
};

// -- live disks -------------------------------------------------------------------------------------

type DiskSpec = { [name: string]: DiskSpec | number };

function buildDisk(spec: DiskSpec): DiskNode {
  const root: DiskNode = { name: "", kind: "directory", sizeBytes: 0, children: new Map() };
  const fill = (node: DiskNode, children: DiskSpec) => {
    for (const [name, value] of Object.entries(children)) {
      const child: DiskNode =
        typeof value === "number"
          ? { name, kind: "file", sizeBytes: value, children: null }
          : { name, kind: "directory", sizeBytes: 0, children: new Map() };
      node.children?.set(name.toLowerCase(), child);
      if (typeof value !== "number") fill(child, value);
    }
  };
  fill(root, spec);
  return root;
}

function runningMachineDisk(): DiskNode {
  return buildDisk({
    "C:": {
      Users: {
        Administrator: {
          Desktop: { "Vagon Files.lnk": 1_204 },
          Documents: { "notes.txt": 1_024, "meeting-2026-02-03.docx": 18_432 },
          Downloads: { "installer.exe": 73_400_320 },
        },
        Public: { Documents: {}, Pictures: { "wallpaper.jpg": 284_113 } },
      },
      Projects: { render: { "output.exr": 52_428_800, "scene.blend": 10_485_760 } },
      Windows: {},
    },
  });
}

function stoppedMachineDisk(): DiskNode {
  return buildDisk({
    "C:": {
      Users: { Administrator: { Documents: {} }, Public: {} },
      Archive: { "renders-2025.zip": 1_073_741_824 },
    },
  });
}

// -- the organization, as tables ------------------------------------------------------------------

type Tint = [number, number, number];

/** What a seeded file holds: real text, a real PNG, a fake MP4, or a declared size (sparse zeros). */
type SeedContent =
  | { kind: "text"; contentType: string; text: string }
  | { kind: "png"; width: number; height: number; tint: Tint }
  | { kind: "mp4"; sizeBytes: number; seed: number }
  | { kind: "declared"; contentType: string; sizeBytes: number };

/** A seeded folder (its children added in order, depth first) or file, with a fixed id. */
type SeedNode =
  | {
      kind: "directory";
      name: string;
      id: number;
      modifiedAtMs: number;
      /** Session folders: the machine the session ran on. */
      recordedOnMachineId?: number;
      children: SeedNode[];
    }
  | { kind: "file"; name: string; id: number; modifiedAtMs: number; content: SeedContent };

const dir = (name: string, id: number, modifiedAtMs: number, children: SeedNode[]): SeedNode => ({
  kind: "directory",
  name,
  id,
  modifiedAtMs,
  children,
});
const file = (name: string, id: number, modifiedAtMs: number, content: SeedContent): SeedNode => ({
  kind: "file",
  name,
  id,
  modifiedAtMs,
  content,
});
const text = (contentType: string, value: string): SeedContent => ({
  kind: "text",
  contentType,
  text: value,
});
const png = (width: number, height: number, tint: Tint): SeedContent => ({
  kind: "png",
  width,
  height,
  tint,
});
const mp4 = (sizeBytes: number, seed: number): SeedContent => ({ kind: "mp4", sizeBytes, seed });
const declared = (contentType: string, sizeBytes: number): SeedContent => ({
  kind: "declared",
  contentType,
  sizeBytes,
});

const SHARED_CONTENT: SeedNode[] = [
  dir("Project Folder", SEED.projectFolderId, at("2026-02-04T12:07:59.204Z"), [
    file("brief.md", SEED.briefFileId, at("2026-02-04T11:58:12.120Z"), text("text/markdown", TEXT.brief)),
    file("data.csv", SEED.dataCsvFileId, at("2026-02-04T11:59:40.511Z"), text("text/csv", TEXT.dataCsv)),
    dir("references", SEED.nestedFolderId, at("2026-02-04T12:01:03.007Z"), [
      file("links.txt", SEED.nestedFileId, at("2026-02-04T12:01:03.007Z"), text("text/plain", TEXT.links)),
    ]),
  ]),
  file(
    "welcome.txt",
    SEED.sharedTextFileId,
    at("2026-02-03T09:15:00.000Z"),
    text("text/plain", TEXT.welcome),
  ),
  file("logo.png", SEED.sharedImageFileId, at("2026-02-03T09:16:30.000Z"), png(32, 32, [30, 90, 200])),
];

const RUNNING_MACHINE_CONTENT: SeedNode[] = [
  dir("Machine Project Folder", SEED.machineProjectFolderId, at("2026-02-05T10:20:53.650Z"), [
    file(
      "render-settings.json",
      18469,
      at("2026-02-05T10:20:53.650Z"),
      text("application/json", TEXT.renderSettings),
    ),
  ]),
  file("image.png", SEED.machineImageFileId, at("2026-02-05T10:20:33.331Z"), png(64, 48, [200, 120, 40])),
  dir("Task 42 Output", SEED.taskOutputFolderId, at("2026-01-21T21:52:10.000Z"), [
    file("result.csv", 18481, at("2026-01-21T21:51:58.000Z"), text("text/csv", TEXT.resultCsv)),
    file("summary.md", 18482, at("2026-01-21T21:52:02.000Z"), text("text/markdown", TEXT.summary)),
    dir("charts", 18483, at("2026-01-21T21:52:10.000Z"), [
      file("plot.png", 18484, at("2026-01-21T21:52:10.000Z"), png(48, 32, [20, 160, 90])),
    ]),
  ]),
];

/** Listable although machine 200 is stopped. */
const STOPPED_MACHINE_CONTENT: SeedNode[] = [
  dir("Archive", 19002, at("2025-12-01T08:00:00.000Z"), [
    file("notes.txt", 19003, at("2025-12-01T08:00:00.000Z"), text("text/plain", TEXT.archiveNotes)),
  ]),
];

interface SeedSession {
  folderId: number;
  sessionNumber: number;
  machineId: number;
  /** When the recording started, as Vagon stamps its file names (20260121-214832). */
  stamp: string;
  recordedAtMs: number;
  video: SeedContent;
  videoId: number;
  logId: number;
}

/** A session recording as Vagon keeps it: Session_N/ with rec-<stamp>.mp4 and rec-<stamp>.log. */
function sessionFolder(session: SeedSession): SeedNode {
  const { stamp, recordedAtMs } = session;
  const log = recordingLog(session.sessionNumber, new Date(recordedAtMs).toISOString());
  return {
    kind: "directory",
    name: `Session_${session.sessionNumber}`,
    id: session.folderId,
    modifiedAtMs: recordedAtMs,
    recordedOnMachineId: session.machineId,
    children: [
      file(`rec-${stamp}.mp4`, session.videoId, recordedAtMs, session.video),
      file(`rec-${stamp}.log`, session.logId, recordedAtMs, text("application/octet-stream", log)),
    ],
  };
}

/** Session 1950 is task 42's recording; 1962 is linked to no task; 1987 ran on the stopped machine. */
const SESSIONS: SeedSession[] = [
  {
    folderId: SEED.sessionFolderId,
    sessionNumber: 1950,
    machineId: SEED.runningMachineId,
    stamp: "20260121-214832",
    recordedAtMs: at("2026-01-21T21:49:09.203Z"),
    video: mp4(48 * 1024, 1),
    videoId: 5910,
    logId: 5911,
  },
  {
    folderId: SEED.unlinkedSessionFolderId,
    sessionNumber: 1962,
    machineId: SEED.runningMachineId,
    stamp: "20260123-101500",
    recordedAtMs: at("2026-01-23T10:16:41.870Z"),
    video: mp4(48 * 1024 + 4096, 2),
    videoId: 5920,
    logId: 5921,
  },
  {
    folderId: SEED.stoppedMachineSessionFolderId,
    sessionNumber: 1987,
    machineId: SEED.stoppedMachineId,
    stamp: "20260127-163005",
    recordedAtMs: at("2026-01-27T16:31:12.002Z"),
    video: mp4(48 * 1024 + 2 * 4096, 3),
    videoId: 5930,
    logId: 5931,
  },
];

/**
 * What the housekeeping stories need, dated relative to the sandbox clock at start: ages spread
 * over months around the 30-day mark, sizes from bytes to GB (declared: zeros on a sparse file,
 * no disk used) and folders 4 levels deep. Shared: Renders/2026/spring-campaign/frames/… and an
 * archive of last year's renders.
 */
function rendersTree(daysAgo: (days: number) => number): SeedNode {
  const frames = Array.from({ length: 12 }, (_, index) => {
    const frame = index + 1;
    const name = `frame-${String(frame).padStart(4, "0")}.exr`;
    return file(
      name,
      23005 + frame,
      daysAgo(35 + frame / 24),
      declared("image/x-exr", 24 * MB + frame * 4096),
    );
  });
  return dir("Renders", SEED.rendersFolderId, daysAgo(3), [
    dir("2026", 23001, daysAgo(3), [
      dir("spring-campaign", 23002, daysAgo(40), [
        file(
          "final-4k.mov",
          SEED.rendersFinalMovieId,
          daysAgo(120),
          declared("video/quicktime", Math.round(3.4 * GB)),
        ),
        file("preview.mp4", 23004, daysAgo(40), declared("video/mp4", 420 * MB)),
        dir("frames", 23005, daysAgo(35), frames),
      ]),
      dir("autumn-teaser", 23018, daysAgo(3), [
        file("draft.mov", 23019, daysAgo(5), declared("video/quicktime", Math.round(1.2 * GB))),
        file("notes.txt", 23024, daysAgo(3), text("text/plain", "Teaser: 30 s, 4K, warm grade.\n")),
      ]),
    ]),
    dir("archive", SEED.rendersArchiveFolderId, daysAgo(300), [
      dir("2025", 23021, daysAgo(300), [
        file("old-final.mov", 23022, daysAgo(300), declared("video/quicktime", Math.round(2.1 * GB))),
        file("render.log", 23023, daysAgo(301), text("text/plain", "render finished in 41 min\n")),
      ]),
    ]),
    file(".keep", 23025, daysAgo(200), text("application/octet-stream", "")),
  ]);
}

/** Recordings of machine 100 for the housekeeping stories: three within the last 30 days, three older. */
const HOUSEKEEPING_SESSIONS = [
  { folderId: SEED.recentSessionFolderIds[0], sessionNumber: 2101, days: 2, videoBytes: 310 * MB },
  { folderId: SEED.recentSessionFolderIds[1], sessionNumber: 2088, days: 9, videoBytes: 1.4 * GB },
  { folderId: SEED.recentSessionFolderIds[2], sessionNumber: 2064, days: 21, videoBytes: 95 * MB },
  { folderId: SEED.oldSessionFolderIds[0], sessionNumber: 2031, days: 45, videoBytes: 780 * MB },
  { folderId: SEED.oldSessionFolderIds[1], sessionNumber: 2012, days: 75, videoBytes: 1.1 * GB },
  { folderId: SEED.oldSessionFolderIds[2], sessionNumber: 2003, days: 150, videoBytes: 2.3 * GB },
];

function housekeepingSessions(daysAgo: (days: number) => number): SeedNode[] {
  return HOUSEKEEPING_SESSIONS.map(({ folderId, sessionNumber, days, videoBytes }) => {
    const recordedAtMs = daysAgo(days);
    return sessionFolder({
      folderId,
      sessionNumber,
      machineId: SEED.runningMachineId,
      stamp: new Date(recordedAtMs).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15),
      recordedAtMs,
      video: declared("video/mp4", Math.round(videoBytes)),
      videoId: folderId + 1,
      logId: folderId + 2,
    });
  });
}

// -- seeding ----------------------------------------------------------------------------------------

/** Roots and machines always exist; `content: false` leaves every folder empty and adds no task. */
export function seedOrganization(state: SandboxState, options: { content: boolean }): void {
  const { sharedRoot, recordingsRoot } = addRootsAndMachines(state);
  if (!options.content) return;

  addTree(state, sharedRoot, SHARED_CONTENT);
  addTree(state, state.rootOf(machineStorage(SEED.runningMachineId)), RUNNING_MACHINE_CONTENT);
  addTree(state, state.rootOf(machineStorage(SEED.stoppedMachineId)), STOPPED_MACHINE_CONTENT);
  addTree(state, recordingsRoot, SESSIONS.map(sessionFolder));

  const startMs = state.clock();
  const daysAgo = (days: number) => startMs - Math.round(days * DAY_MS);
  addTree(state, sharedRoot, [rendersTree(daysAgo)]);
  addTree(state, recordingsRoot, housekeepingSessions(daysAgo));

  state.tasks.set(SEED.taskId, {
    id: SEED.taskId,
    machineId: SEED.runningMachineId,
    outputFolderId: SEED.taskOutputFolderId,
    recordingFolderIds: [SEED.sessionFolderId],
  });
}

function addRootsAndMachines(state: SandboxState): { sharedRoot: EntryRecord; recordingsRoot: EntryRecord } {
  const sharedRoot = state.addRoot({
    id: SEED.sharedRootId,
    storage: SHARED_STORAGE,
    name: "Teams Shared Folder",
    machineId: null,
    owner: null,
    modifiedAtMs: at("2026-02-04T12:07:59.204Z"),
  });
  state.addMachine({
    id: SEED.runningMachineId,
    running: true,
    rootId: SEED.machineRootId,
    rootName: "Computer #100",
    owner: SEAT_USER,
    disk: runningMachineDisk(),
  });
  state.addMachine({
    id: SEED.stoppedMachineId,
    running: false,
    rootId: SEED.stoppedMachineRootId,
    rootName: "Computer #200",
    owner: DESIGN_USER,
    disk: stoppedMachineDisk(),
  });
  const recordingsRoot = state.addRoot({
    id: SEED.recordingsRootId,
    storage: RECORDINGS_STORAGE,
    name: "Session Recordings",
    machineId: null,
    owner: null,
  });
  return { sharedRoot, recordingsRoot };
}

/** Adds `nodes` under `parent`, depth first in table order. */
function addTree(state: SandboxState, parent: EntryRecord, nodes: readonly SeedNode[]): void {
  for (const node of nodes) {
    const placement = { id: node.id, modifiedAtMs: node.modifiedAtMs };
    if (node.kind === "file") {
      addSeedFile(state, parent, node.name, node.content, placement);
      continue;
    }
    const folder = state.addDirectory(parent, node.name, {
      ...placement,
      recordedOnMachineId: node.recordedOnMachineId,
    });
    addTree(state, folder, node.children);
  }
}

function addSeedFile(
  state: SandboxState,
  parent: EntryRecord,
  name: string,
  content: SeedContent,
  placement: { id: number; modifiedAtMs: number },
): void {
  switch (content.kind) {
    case "text":
      state.addCompletedFile(parent, name, Buffer.from(content.text, "utf8"), content.contentType, placement);
      return;
    case "png": {
      const bytes = makePng(content.width, content.height, content.tint);
      state.addCompletedFile(parent, name, bytes, "image/png", placement);
      return;
    }
    case "mp4":
      state.addCompletedFile(parent, name, fakeMp4(content.sizeBytes, content.seed), "video/mp4", placement);
      return;
    case "declared":
      state.addDeclaredFile(parent, name, content.sizeBytes, content.contentType, placement);
      return;
    default: {
      const unwritten: never = content;
      throw new Error(`Seed content ${JSON.stringify(unwritten)} has no writer`);
    }
  }
}
