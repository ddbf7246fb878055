// What a listing costs and keeps: Claude Code hands the model the JSON of structuredContent, so
// list_files leaves out of each entry what the listing already says. Every left-out value must be
// exactly what the output schema says it is, whatever shape the API answered with. Real sandbox,
// real client, real server; the SDK client validates every result against the advertised schema.
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import mime from "mime-types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactEntry } from "../../src/mcp/compact.js";
import { entryInstant } from "../../src/mcp/instant.js";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import type { Entry, ListFilesParams } from "../../src/vagon/types.js";
import { type Harness, startHarness, toolText } from "../helpers/hardening.js";

interface CompactEntry {
  id: number;
  name: string;
  kind?: "file" | "directory";
  size?: number | null;
  content_type?: string | null;
  modified?: string | null;
  path?: string | null;
  status?: string;
  machine_id?: number | null;
  parent_id?: number;
  depth?: number;
}
interface CompactListing {
  folder: { id: number; name: string; path: string | null; machine_id?: number } | null;
  entries: CompactEntry[];
  total: number;
  next_page: number | null;
  storage?: { used: number; total: number } | null;
}

let sandbox: Sandbox;
let harness: Harness;
let outputSchema: Tool["outputSchema"];
/** A shared folder of 100 files, like a page of render outputs. */
let framesFolderId: number;
/** A file whose upload was started and never completed. */
let pendingFileId: number;

beforeAll(async () => {
  sandbox = await startSandbox();
  harness = await startHarness({ sandbox });
  // tools/list first: from then on the SDK client checks every list_files result against its outputSchema.
  const { tools } = await harness.mcp.listTools();
  outputSchema = tools.find((tool) => tool.name === "list_files")?.outputSchema;
  framesFolderId = sandbox.addDirectory({ parentId: 0, name: "Frames" });
  for (let index = 0; index < 100; index += 1) {
    await sandbox.addFile({
      parentId: framesFolderId,
      name: `shot_001_frame_${String(index).padStart(5, "0")}.png`,
      content: Buffer.alloc(64 + index),
      contentType: "image/png",
    });
  }
  const pending = await harness.vagon.createFile({
    fileName: "half-uploaded.bin",
    contentType: "application/octet-stream",
    sizeBytes: 1000,
    parentId: SEED.projectFolderId,
  });
  pendingFileId = pending.id;
});

afterAll(async () => {
  await harness?.close({ keepSandbox: true });
  await sandbox?.close();
});

async function listFiles(args: Record<string, unknown>) {
  const result = await harness.callTool("list_files", args);
  expect(result.isError, toolText(result)).toBeFalsy();
  return { listing: result.structuredContent as unknown as CompactListing, text: toolText(result) };
}

/** The full entries back, by the rules the output schema states for each left-out field. */
function expand(listing: CompactListing): Array<Entry & { depth: number }> {
  const above = new Map<number, { path: string | null; depth: number }>();
  return listing.entries.map((entry) => {
    // An entry below the listed folder names its folder; what that folder says, listed above, it leaves out.
    const parent = entry.parent_id !== undefined ? above.get(entry.parent_id) : undefined;
    if (entry.parent_id === undefined) expect(entry.depth ?? 0, entry.name).toBe(0);
    const depth = entry.depth ?? (parent ? parent.depth + 1 : 0);
    const folderPath = parent ? parent.path : (listing.folder?.path ?? "");
    const kind = entry.kind ?? "file";
    const path = "path" in entry ? (entry.path ?? null) : `${folderPath ?? ""}/${entry.name}`;
    if (kind === "directory") above.set(entry.id, { path, depth });
    return {
      id: entry.id,
      name: entry.name,
      kind,
      size: entry.size ?? null,
      content_type:
        "content_type" in entry
          ? (entry.content_type ?? null)
          : kind === "file"
            ? mime.lookup(entry.name) || null
            : null,
      modified: entry.modified ?? null,
      path,
      status: entry.status ?? "upload_completed",
      machine_id: "machine_id" in entry ? (entry.machine_id ?? null) : (listing.folder?.machine_id ?? null),
      depth,
    };
  });
}

/** What the Vagon client answers for the same folder, and (recursive) for every folder below it. */
async function clientEntries(params: ListFilesParams, maxDepth: number) {
  const byId = new Map<number, Entry>();
  const depthOf = new Map<number, number>();
  let folders = [params];
  for (let depth = 0; depth <= maxDepth && folders.length > 0; depth += 1) {
    const next: ListFilesParams[] = [];
    for (const folder of folders) {
      const page = await harness.vagon.listFiles({ ...folder, page: 1, perPage: 100 });
      expect(page.nextPage).toBeNull();
      for (const entry of page.entries) {
        byId.set(entry.id, entry);
        depthOf.set(entry.id, depth);
        if (entry.kind === "directory") {
          next.push({ ...params, parentId: entry.id, taskId: undefined });
        }
      }
    }
    folders = next;
  }
  return { byId, depthOf };
}

/** The instant to the second, as listings say it. */
const instant = (iso: string | null) => (iso === null ? null : Math.floor(Date.parse(iso) / 1000));

const LISTINGS: Array<{ label: string; args: Record<string, unknown>; params: ListFilesParams }> = [
  { label: "the shared root", args: {}, params: { location: "shared" } },
  {
    label: "a shared folder with a pending upload, walked recursively",
    args: { parent_id: SEED.projectFolderId, recursive: true, max_depth: 3 },
    params: { location: "shared", parentId: SEED.projectFolderId },
  },
  {
    label: "machine 100's storage",
    args: { location: "machine", machine_id: SEED.runningMachineId },
    params: { location: "machine", machineId: SEED.runningMachineId },
  },
  {
    label: "a folder in machine 100's storage",
    args: { location: "machine", machine_id: SEED.runningMachineId, parent_id: SEED.machineProjectFolderId },
    params: { location: "machine", machineId: SEED.runningMachineId, parentId: SEED.machineProjectFolderId },
  },
  {
    label: "task 42's folders on machine 100",
    args: { location: "machine", machine_id: SEED.runningMachineId, task_id: SEED.taskId },
    params: { location: "machine", machineId: SEED.runningMachineId, taskId: SEED.taskId },
  },
  { label: "the recordings", args: { location: "recordings" }, params: { location: "recordings" } },
];

describe("a listed entry leaves out only what the listing already says", () => {
  it.each(LISTINGS)("rebuilds $label exactly as the Vagon client returns it", async ({ args, params }) => {
    const { listing } = await listFiles(args);
    const recursive = args.recursive === true;
    const { byId: truth, depthOf } = await clientEntries(params, recursive ? 3 : 0);
    const rebuilt = expand(listing);
    expect(rebuilt.map((entry) => entry.id).sort()).toEqual([...truth.keys()].sort());
    for (const [index, entry] of rebuilt.entries()) {
      const { depth, ...full } = entry;
      expect(depth, entry.name).toBe(depthOf.get(entry.id));
      const original = truth.get(entry.id)!;
      // The same instant to the second.
      expect(instant(full.modified)).toBe(instant(original.modified));
      expect(listing.entries[index]?.modified ?? null).toBe(
        original.modified === null ? null : entryInstant(original.modified),
      );
      expect({ ...full, modified: original.modified }).toEqual(original);
    }
  });

  it("lists a folder of files as id, name, size and modified only when the name says the type", async () => {
    const { listing } = await listFiles({ parent_id: framesFolderId });
    expect(listing.entries).toHaveLength(100);
    for (const entry of listing.entries) {
      expect(Object.keys(entry)).toEqual(["id", "name", "size", "modified"]);
    }
  });

  it("names the machine once on the folder of a machine listing, not on each entry", async () => {
    const { listing } = await listFiles({ location: "machine", machine_id: SEED.runningMachineId });
    expect(listing.folder?.machine_id).toBe(SEED.runningMachineId);
    expect(listing.entries.length).toBeGreaterThan(0);
    expect(listing.entries.every((entry) => !("machine_id" in entry))).toBe(true);
    const shared = await listFiles({});
    expect(shared.listing.folder).not.toHaveProperty("machine_id");
  });

  it("says modified to the second", async () => {
    const { listing } = await listFiles({});
    for (const entry of listing.entries.filter((listed) => listed.modified)) {
      expect(entry.modified).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
  });

  it("keeps a status other than upload_completed, in the JSON and in the text", async () => {
    const { listing, text } = await listFiles({ parent_id: SEED.projectFolderId });
    const pending = listing.entries.find((entry) => entry.id === pendingFileId);
    expect(pending).toMatchObject({ name: "half-uploaded.bin", status: "pending_upload" });
    expect(listing.entries.filter((entry) => "status" in entry)).toEqual([pending]);
    expect(text).toMatch(/half-uploaded\.bin {2}.*\(pending_upload\)/);
  });

  it("leaves out folders' null size and content_type, and a recording's machine when it is the listed one", async () => {
    const { listing } = await listFiles({
      location: "machine",
      machine_id: SEED.runningMachineId,
      task_id: SEED.taskId,
    });
    // A session recording carries the machine it ran on (SPEC §2), here the listed one.
    const session = listing.entries.find((entry) => entry.id === SEED.sessionFolderId);
    expect(session).toMatchObject({ kind: "directory" });
    expect(session).not.toHaveProperty("machine_id");
    expect(session).not.toHaveProperty("size");
    expect(session).not.toHaveProperty("content_type");
    const output = listing.entries.find((entry) => entry.id === SEED.taskOutputFolderId);
    expect(output).not.toHaveProperty("machine_id");
  });

  it("names the folder of entries below the listed one by parent_id instead of repeating its path", async () => {
    const { listing } = await listFiles({ parent_id: SEED.projectFolderId, recursive: true });
    const nested = listing.entries.find((entry) => entry.id === SEED.nestedFileId);
    expect(nested).toEqual({
      id: SEED.nestedFileId,
      name: "links.txt",
      size: expect.any(Number),
      modified: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      parent_id: SEED.nestedFolderId,
    });
    const top = listing.entries.find((entry) => entry.id === SEED.nestedFolderId);
    expect(top).not.toHaveProperty("path");
    expect(top).not.toHaveProperty("depth");
    expect(top).not.toHaveProperty("parent_id");
  });

  it("says path and depth when the entry's folder was listed by an earlier call (a cursor's continuation)", async () => {
    const first = await harness.callTool("list_files", {
      parent_id: SEED.projectFolderId,
      recursive: true,
      limit: 3,
    });
    const cursor = (first.structuredContent as { next_cursor?: string }).next_cursor;
    expect(cursor).toBeTruthy();
    const { listing } = await listFiles({ parent_id: SEED.projectFolderId, recursive: true, cursor });
    const nested = listing.entries.find((entry) => entry.id === SEED.nestedFileId);
    expect(nested).toMatchObject({
      parent_id: SEED.nestedFolderId,
      path: "/Project Folder/references/links.txt",
      depth: 1,
    });
  });

  it("costs well under two thirds of the full entry shape on a 100-entry page", async () => {
    const { listing } = await listFiles({ parent_id: framesFolderId });
    const full = await harness.vagon.listFiles({
      location: "shared",
      parentId: framesFolderId,
      page: 1,
      perPage: 100,
    });
    const compactBytes = Buffer.byteLength(JSON.stringify(listing));
    const fullBytes = Buffer.byteLength(JSON.stringify({ ...listing, entries: full.entries }));
    expect(compactBytes / fullBytes).toBeLessThan(0.65);
  });
});

describe("the folder resources", () => {
  it("answer the same compact JSON as list_files", async () => {
    const pairs: Array<[string, Record<string, unknown>]> = [
      [`vagon://shared/${SEED.projectFolderId}`, { parent_id: SEED.projectFolderId }],
      [
        `vagon://machines/${SEED.runningMachineId}/files/0`,
        { location: "machine", machine_id: SEED.runningMachineId },
      ],
      ["vagon://recordings/0", { location: "recordings" }],
    ];
    for (const [uri, args] of pairs) {
      const { contents } = await harness.mcp.readResource({ uri });
      const body = JSON.parse((contents[0] as { text: string }).text) as CompactListing;
      expect(body, uri).toEqual((await listFiles(args)).listing);
    }
  });
});

describe("the JSON:API and the flat response shapes", () => {
  it.each(LISTINGS.filter((listing) => listing.params.taskId === undefined))(
    "give the same compact listing for $label",
    async ({ args }) => {
      const original = sandbox.shape;
      try {
        sandbox.shape = "jsonapi";
        const jsonapi = await listFiles(args);
        sandbox.shape = "flat";
        const flat = await listFiles(args);
        if (args.location === "recordings") {
          // The older revision's listings carry no machine_id: only the current shape names each
          // recording's machine; everything else reads the same.
          expect(jsonapi.listing.entries.every((entry) => typeof entry.machine_id === "number")).toBe(true);
          const withoutMachine = {
            ...jsonapi.listing,
            entries: jsonapi.listing.entries.map(({ machine_id: _machine, ...entry }) => entry),
          };
          expect(JSON.stringify(flat.listing)).toBe(JSON.stringify(withoutMachine));
          expect(flat.text).toBe(jsonapi.text.replace(/ machine=\d+/g, ""));
          return;
        }
        expect(JSON.stringify(flat.listing)).toBe(JSON.stringify(jsonapi.listing));
        expect(flat.text).toBe(jsonapi.text);
      } finally {
        sandbox.shape = original;
      }
    },
  );
});

describe("the output schema", () => {
  it("accepts every listing above and refuses a listing that breaks it", async () => {
    expect(outputSchema).toBeDefined();
    const validate = new AjvJsonSchemaValidator().getValidator(outputSchema as object);
    for (const { args } of LISTINGS) {
      const { listing } = await listFiles(args);
      expect(validate(listing).valid, JSON.stringify(args)).toBe(true);
      const first = listing.entries[0]!;
      // Not vacuous: a null status, an unknown field or a missing id would fail the SDK client's check.
      expect(validate({ ...listing, entries: [{ ...first, status: null }] }).valid).toBe(false);
      expect(validate({ ...listing, entries: [{ ...first, uid: "x" }] }).valid).toBe(false);
      expect(validate({ ...listing, entries: [{ ...first, kind: "link" }] }).valid).toBe(false);
      const { id: _id, ...withoutId } = first;
      expect(validate({ ...listing, entries: [withoutId] }).valid).toBe(false);
    }
  });
});

describe("compactEntry", () => {
  const entry: Entry = {
    id: 7,
    name: "a.txt",
    kind: "file",
    size: 3,
    content_type: "text/plain",
    modified: "2026-02-03T09:15:00.120Z",
    path: "/Docs/a.txt",
    status: "upload_completed",
    machine_id: 100,
  };
  const folder = { id: 5, name: "Docs", path: "/Docs", machine_id: 100 };

  it("leaves out a derivable path and machine_id and the normal status", () => {
    expect(compactEntry(entry, folder, mime.lookup)).toEqual({
      id: 7,
      name: "a.txt",
      size: 3,
      modified: "2026-02-03T09:15:00Z",
    });
    expect(compactEntry({ ...entry, content_type: "text/markdown" }, folder, mime.lookup)).toMatchObject({
      content_type: "text/markdown",
    });
    expect(compactEntry({ ...entry, kind: "directory" }, folder)).toMatchObject({ kind: "directory" });
  });

  it("says null when a path or machine_id that absence would derive is null", () => {
    expect(compactEntry({ ...entry, path: null, machine_id: null }, folder)).toMatchObject({
      path: null,
      machine_id: null,
    });
  });

  it("derives nothing without a folder: path always said, machine_id left out only when null", () => {
    expect(compactEntry(entry, null)).toMatchObject({ path: "/Docs/a.txt", machine_id: 100 });
    const nulls = compactEntry({ ...entry, path: null, machine_id: null }, null);
    expect(nulls).toHaveProperty("path", null);
    expect(nulls).not.toHaveProperty("machine_id");
  });

  it("treats a root's null path as '' and keeps a path from elsewhere", () => {
    const root = { id: 0, name: "Root", path: null };
    expect(compactEntry({ ...entry, path: "/a.txt", machine_id: null }, root)).not.toHaveProperty("path");
    expect(compactEntry({ ...entry, path: "/Other/a.txt", machine_id: null }, root)).toMatchObject({
      path: "/Other/a.txt",
    });
  });
});
