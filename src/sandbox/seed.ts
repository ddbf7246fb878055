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

// -- the organization -------------------------------------------------------------------------------

/** Roots and machines always exist; `content: false` leaves every folder empty and adds no task. */
export function seedOrganization(state: SandboxState, options: { content: boolean }): void {
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
  if (!options.content) return;

  const text = (value: string) => Buffer.from(value, "utf8");

  // Shared storage
  const project = state.addDirectory(sharedRoot, "Project Folder", {
    id: SEED.projectFolderId,
    modifiedAtMs: at("2026-02-04T12:07:59.204Z"),
  });
  state.addCompletedFile(project, "brief.md", text(TEXT.brief), "text/markdown", {
    id: SEED.briefFileId,
    modifiedAtMs: at("2026-02-04T11:58:12.120Z"),
  });
  state.addCompletedFile(project, "data.csv", text(TEXT.dataCsv), "text/csv", {
    id: SEED.dataCsvFileId,
    modifiedAtMs: at("2026-02-04T11:59:40.511Z"),
  });
  const references = state.addDirectory(project, "references", {
    id: SEED.nestedFolderId,
    modifiedAtMs: at("2026-02-04T12:01:03.007Z"),
  });
  state.addCompletedFile(references, "links.txt", text(TEXT.links), "text/plain", {
    id: SEED.nestedFileId,
    modifiedAtMs: at("2026-02-04T12:01:03.007Z"),
  });
  state.addCompletedFile(sharedRoot, "welcome.txt", text(TEXT.welcome), "text/plain", {
    id: SEED.sharedTextFileId,
    modifiedAtMs: at("2026-02-03T09:15:00.000Z"),
  });
  state.addCompletedFile(sharedRoot, "logo.png", makePng(32, 32, [30, 90, 200]), "image/png", {
    id: SEED.sharedImageFileId,
    modifiedAtMs: at("2026-02-03T09:16:30.000Z"),
  });

  // Machine 100 storage
  const machineRoot = state.rootOf(machineStorage(SEED.runningMachineId));
  const machineProject = state.addDirectory(machineRoot, "Machine Project Folder", {
    id: SEED.machineProjectFolderId,
    modifiedAtMs: at("2026-02-05T10:20:53.650Z"),
  });
  state.addCompletedFile(
    machineProject,
    "render-settings.json",
    text(TEXT.renderSettings),
    "application/json",
    {
      id: 18469,
      modifiedAtMs: at("2026-02-05T10:20:53.650Z"),
    },
  );
  state.addCompletedFile(machineRoot, "image.png", makePng(64, 48, [200, 120, 40]), "image/png", {
    id: SEED.machineImageFileId,
    modifiedAtMs: at("2026-02-05T10:20:33.331Z"),
  });
  const taskOutput = state.addDirectory(machineRoot, "Task 42 Output", {
    id: SEED.taskOutputFolderId,
    modifiedAtMs: at("2026-01-21T21:52:10.000Z"),
  });
  state.addCompletedFile(taskOutput, "result.csv", text(TEXT.resultCsv), "text/csv", {
    id: 18481,
    modifiedAtMs: at("2026-01-21T21:51:58.000Z"),
  });
  state.addCompletedFile(taskOutput, "summary.md", text(TEXT.summary), "text/markdown", {
    id: 18482,
    modifiedAtMs: at("2026-01-21T21:52:02.000Z"),
  });
  const charts = state.addDirectory(taskOutput, "charts", {
    id: 18483,
    modifiedAtMs: at("2026-01-21T21:52:10.000Z"),
  });
  state.addCompletedFile(charts, "plot.png", makePng(48, 32, [20, 160, 90]), "image/png", {
    id: 18484,
    modifiedAtMs: at("2026-01-21T21:52:10.000Z"),
  });

  // Machine 200 storage (listable although the machine is stopped)
  const stoppedRoot = state.rootOf(machineStorage(SEED.stoppedMachineId));
  const archive = state.addDirectory(stoppedRoot, "Archive", {
    id: 19002,
    modifiedAtMs: at("2025-12-01T08:00:00.000Z"),
  });
  state.addCompletedFile(archive, "notes.txt", text(TEXT.archiveNotes), "text/plain", {
    id: 19003,
    modifiedAtMs: at("2025-12-01T08:00:00.000Z"),
  });

  // Session recordings
  const sessions: Array<{
    folderId: number;
    name: string;
    machineId: number;
    stamp: string;
    iso: string;
    ids: [number, number];
  }> = [
    {
      folderId: SEED.sessionFolderId,
      name: "Session_1950",
      machineId: SEED.runningMachineId,
      stamp: "20260121-214832",
      iso: "2026-01-21T21:49:09.203Z",
      ids: [5910, 5911],
    },
    {
      folderId: SEED.unlinkedSessionFolderId,
      name: "Session_1962",
      machineId: SEED.runningMachineId,
      stamp: "20260123-101500",
      iso: "2026-01-23T10:16:41.870Z",
      ids: [5920, 5921],
    },
    {
      folderId: SEED.stoppedMachineSessionFolderId,
      name: "Session_1987",
      machineId: SEED.stoppedMachineId,
      stamp: "20260127-163005",
      iso: "2026-01-27T16:31:12.002Z",
      ids: [5930, 5931],
    },
  ];
  for (const [index, session] of sessions.entries()) {
    const folder = state.addDirectory(recordingsRoot, session.name, {
      id: session.folderId,
      recordedOnMachineId: session.machineId,
      modifiedAtMs: at(session.iso),
    });
    const [videoId, logId] = session.ids;
    state.addCompletedFile(
      folder,
      `rec-${session.stamp}.mp4`,
      fakeMp4(48 * 1024 + index * 4096, index + 1),
      "video/mp4",
      {
        id: videoId,
        modifiedAtMs: at(session.iso),
      },
    );
    const sessionNumber = Number(session.name.slice("Session_".length));
    state.addCompletedFile(
      folder,
      `rec-${session.stamp}.log`,
      text(recordingLog(sessionNumber, session.iso)),
      "application/octet-stream",
      { id: logId, modifiedAtMs: at(session.iso) },
    );
  }

  seedHousekeeping(state, sharedRoot, recordingsRoot);

  state.tasks.set(SEED.taskId, {
    id: SEED.taskId,
    machineId: SEED.runningMachineId,
    outputFolderId: SEED.taskOutputFolderId,
    recordingFolderIds: [SEED.sessionFolderId],
  });
}

/**
 * What the housekeeping stories need: ages spread over months around the 30-day mark, sizes
 * from bytes to GB (declared: zeros on a sparse file, no disk used) and folders 4 levels deep.
 */
function seedHousekeeping(state: SandboxState, sharedRoot: EntryRecord, recordingsRoot: EntryRecord): void {
  const startMs = state.clock();
  const daysAgo = (days: number) => startMs - Math.round(days * DAY_MS);

  // Shared: Renders/2026/spring-campaign/frames/… and an archive of last year's renders.
  const renders = state.addDirectory(sharedRoot, "Renders", {
    id: SEED.rendersFolderId,
    modifiedAtMs: daysAgo(3),
  });
  const year = state.addDirectory(renders, "2026", { id: 23001, modifiedAtMs: daysAgo(3) });
  const spring = state.addDirectory(year, "spring-campaign", { id: 23002, modifiedAtMs: daysAgo(40) });
  state.addDeclaredFile(spring, "final-4k.mov", Math.round(3.4 * GB), "video/quicktime", {
    id: SEED.rendersFinalMovieId,
    modifiedAtMs: daysAgo(120),
  });
  state.addDeclaredFile(spring, "preview.mp4", 420 * MB, "video/mp4", {
    id: 23004,
    modifiedAtMs: daysAgo(40),
  });
  const frames = state.addDirectory(spring, "frames", { id: 23005, modifiedAtMs: daysAgo(35) });
  for (let frame = 1; frame <= 12; frame++) {
    state.addDeclaredFile(
      frames,
      `frame-${String(frame).padStart(4, "0")}.exr`,
      24 * MB + frame * 4096,
      "image/x-exr",
      {
        id: 23005 + frame,
        modifiedAtMs: daysAgo(35 + frame / 24),
      },
    );
  }
  const autumn = state.addDirectory(year, "autumn-teaser", { id: 23018, modifiedAtMs: daysAgo(3) });
  state.addDeclaredFile(autumn, "draft.mov", Math.round(1.2 * GB), "video/quicktime", {
    id: 23019,
    modifiedAtMs: daysAgo(5),
  });
  state.addCompletedFile(autumn, "notes.txt", Buffer.from("Teaser: 30 s, 4K, warm grade.\n"), "text/plain", {
    id: 23024,
    modifiedAtMs: daysAgo(3),
  });
  const archive = state.addDirectory(renders, "archive", {
    id: SEED.rendersArchiveFolderId,
    modifiedAtMs: daysAgo(300),
  });
  const lastYear = state.addDirectory(archive, "2025", { id: 23021, modifiedAtMs: daysAgo(300) });
  state.addDeclaredFile(lastYear, "old-final.mov", Math.round(2.1 * GB), "video/quicktime", {
    id: 23022,
    modifiedAtMs: daysAgo(300),
  });
  state.addCompletedFile(lastYear, "render.log", Buffer.from("render finished in 41 min\n"), "text/plain", {
    id: 23023,
    modifiedAtMs: daysAgo(301),
  });
  state.addCompletedFile(renders, ".keep", Buffer.alloc(0), "application/octet-stream", {
    id: 23025,
    modifiedAtMs: daysAgo(200),
  });

  // Recordings of machine 100: three within the last 30 days, three older.
  const sessions: Array<{ folderId: number; number: number; days: number; videoBytes: number }> = [
    { folderId: SEED.recentSessionFolderIds[0], number: 2101, days: 2, videoBytes: 310 * MB },
    { folderId: SEED.recentSessionFolderIds[1], number: 2088, days: 9, videoBytes: 1.4 * GB },
    { folderId: SEED.recentSessionFolderIds[2], number: 2064, days: 21, videoBytes: 95 * MB },
    { folderId: SEED.oldSessionFolderIds[0], number: 2031, days: 45, videoBytes: 780 * MB },
    { folderId: SEED.oldSessionFolderIds[1], number: 2012, days: 75, videoBytes: 1.1 * GB },
    { folderId: SEED.oldSessionFolderIds[2], number: 2003, days: 150, videoBytes: 2.3 * GB },
  ];
  for (const session of sessions) {
    const recordedMs = daysAgo(session.days);
    const stamp = new Date(recordedMs).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    const folder = state.addDirectory(recordingsRoot, `Session_${session.number}`, {
      id: session.folderId,
      recordedOnMachineId: SEED.runningMachineId,
      modifiedAtMs: recordedMs,
    });
    state.addDeclaredFile(folder, `rec-${stamp}.mp4`, Math.round(session.videoBytes), "video/mp4", {
      id: session.folderId + 1,
      modifiedAtMs: recordedMs,
    });
    state.addCompletedFile(
      folder,
      `rec-${stamp}.log`,
      Buffer.from(recordingLog(session.number, new Date(recordedMs).toISOString())),
      "application/octet-stream",
      { id: session.folderId + 2, modifiedAtMs: recordedMs },
    );
  }
}
