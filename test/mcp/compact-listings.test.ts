// What a listing costs and keeps: Claude Code hands the model the JSON of structuredContent, so
// list_files leaves out of each entry what the listing already says. Every left-out value must be
// exactly what the output schema says it is, whatever shape the API answered with. Real sandbox,
// real client, real server; the SDK client validates every result against the advertised schema.
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import mime from "mime-types";
import { beforeAll, describe, expect, it } from "vitest";
import { entryInstant } from "../../src/mcp/kit/instant.js";
import { listingTable } from "../../src/mcp/listing/compact.js";
import { SEED } from "../../src/sandbox/index.js";
import type { Entry, ListFilesParams } from "../../src/vagon/types.js";
import { toolText, useHarness } from "../helpers/harness.js";

interface Table {
  columns: string[];
  rows: Array<Array<string | number | null>>;
  exceptions?: Record<string, Record<string, unknown>>;
  content_types?: Record<string, string | null>;
}
interface CompactListing {
  folder: { id: number; name: string; path: string | null; machine_id?: number } | null;
  entries: Table;
  total: number;
  next_page: number | null;
  storage?: { used: number; total: number } | null;
}
/** A row by its columns' names, as the model reads it. */
type Row = Record<string, string | number | null>;

const rowsOf = (table: Table): Row[] =>
  table.rows.map((row) => Object.fromEntries(table.columns.map((column, index) => [column, row[index]!])));

const { harness, sandbox } = useHarness();
let outputSchema: Tool["outputSchema"];
/** A shared folder of 100 files, like a page of render outputs. */
let framesFolderId: number;
/** A file whose upload was started and never completed. */
let pendingFileId: number;

beforeAll(async () => {
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

async function listFiles(args: Record<string, unknown>) {
  const result = await harness.callTool("list_files", args);
  expect(result.isError, toolText(result)).toBeFalsy();
  return { listing: result.structuredContent as unknown as CompactListing, text: toolText(result) };
}

/** The full entries back, by the rules the output schema states for each field that is not a column. */
function expand(listing: CompactListing): Array<Entry & { depth: number }> {
  const table = listing.entries;
  const above = new Map<number, { path: string | null; depth: number }>();
  const extension = (name: string) =>
    (name.includes(".") ? name.slice(name.lastIndexOf(".") + 1) : name).toLowerCase();
  return rowsOf(table).map((row) => {
    const id = row.id as number;
    const name = row.name as string;
    const size = row.size as number | null;
    const other = table.exceptions?.[String(id)] ?? {};
    const parentId = (row.parent_id ?? null) as number | null;
    // A row below the listed folder names its folder; what that folder says, listed above, it leaves out.
    const parent = parentId !== null ? above.get(parentId) : undefined;
    const kind = (other.kind ?? (size === null ? "directory" : "file")) as Entry["kind"];
    const depth = (other.depth ?? (parentId === null ? 0 : parent ? parent.depth + 1 : undefined)) as number;
    const folderPath = parentId === null ? (listing.folder?.path ?? "") : parent?.path;
    const path = ("path" in other ? other.path : `${folderPath ?? ""}/${name}`) as string | null;
    if (kind === "directory") above.set(id, { path, depth });
    const ext = extension(name);
    const derivedType =
      kind !== "file"
        ? null
        : table.content_types && ext in table.content_types
          ? (table.content_types[ext] ?? null)
          : mime.lookup(`x.${ext}`) || null;
    return {
      id,
      name,
      kind,
      size,
      content_type: ("content_type" in other ? other.content_type : derivedType) as string | null,
      modified: row.modified as string | null,
      path,
      status: (other.status ?? "upload_completed") as string,
      machine_id: ("machine_id" in other
        ? other.machine_id
        : "machine_id" in row
          ? row.machine_id
          : (listing.folder?.machine_id ?? null)) as number | null,
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
  {
    label: "the recordings, walked recursively",
    args: { location: "recordings", recursive: true, max_depth: 1 },
    params: { location: "recordings" },
  },
  {
    label: "machine 100's recordings",
    args: { location: "recordings", machine_id: SEED.runningMachineId },
    params: { location: "recordings", machineId: SEED.runningMachineId },
  },
];

describe("a listing is a table that leaves out only what the listing already says", () => {
  const SHAPES = ["jsonapi", "flat"] as const;
  it.each(LISTINGS.flatMap((listing) => SHAPES.map((shape) => ({ ...listing, shape }))))(
    "rebuilds $label exactly as the Vagon client returns it ($shape API shape)",
    async ({ args, params, shape }) => {
      const shapeBefore = sandbox.shape;
      sandbox.shape = shape;
      // The table and the Vagon client's answer, both from the same API shape.
      const recursive = args.recursive === true;
      const [{ listing }, { byId: truth, depthOf }] = await Promise.all([
        listFiles(args),
        clientEntries(params, recursive ? 3 : 0),
      ]).finally(() => {
        sandbox.shape = shapeBefore;
      });
      const rebuilt = expand(listing);
      expect(rebuilt.map((entry) => entry.id).sort()).toEqual([...truth.keys()].sort());
      for (const entry of rebuilt) {
        const { depth, ...full } = entry;
        expect(depth, entry.name).toBe(depthOf.get(entry.id));
        const original = truth.get(entry.id)!;
        // The same instant to the second, in the form tables write it.
        expect(instant(full.modified)).toBe(instant(original.modified));
        expect(full.modified).toBe(original.modified === null ? null : entryInstant(original.modified));
        expect({ ...full, modified: original.modified }).toEqual(original);
      }
    },
  );

  it("lists a folder of files as rows of id, name, size and modified, with no exceptions", async () => {
    const { listing } = await listFiles({ parent_id: framesFolderId });
    expect(listing.entries.columns).toEqual(["id", "name", "size", "modified"]);
    expect(listing.entries.rows).toHaveLength(100);
    for (const row of listing.entries.rows) expect(row).toHaveLength(4);
    expect(listing.entries).not.toHaveProperty("exceptions");
    expect(listing.entries).not.toHaveProperty("content_types");
  });

  it("states a content type its files share once per extension, and an odd one on its row", async () => {
    const folderId = sandbox.addDirectory({ parentId: 0, name: "Render passes" });
    const exr: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      exr.push(
        await sandbox.addFile({
          parentId: folderId,
          name: `beauty_${index}.exr`,
          content: "x",
          contentType: "image/x-exr",
        }),
      );
    }
    const odd = await sandbox.addFile({
      parentId: folderId,
      name: "beauty_9.EXR",
      content: "x",
      contentType: "application/octet-stream",
    });
    const { listing } = await listFiles({ parent_id: folderId });
    expect(listing.entries.content_types).toEqual({ exr: "image/x-exr" });
    expect(listing.entries.exceptions).toEqual({ [odd]: { content_type: "application/octet-stream" } });
    expect(expand(listing).find((entry) => entry.id === exr[0])?.content_type).toBe("image/x-exr");
  });

  it("names the machine once on the folder of a machine listing, not on each row", async () => {
    const { listing } = await listFiles({ location: "machine", machine_id: SEED.runningMachineId });
    expect(listing.folder?.machine_id).toBe(SEED.runningMachineId);
    expect(listing.entries.rows.length).toBeGreaterThan(0);
    expect(listing.entries.columns).not.toContain("machine_id");
    for (const other of Object.values(listing.entries.exceptions ?? {}))
      expect(other).not.toHaveProperty("machine_id");
    const shared = await listFiles({});
    expect(shared.listing.folder).not.toHaveProperty("machine_id");
  });

  it("says modified to the second, UTC, in a form Date.parse reads", async () => {
    const { listing } = await listFiles({});
    for (const row of rowsOf(listing.entries).filter((listed) => listed.modified)) {
      expect(row.modified).toMatch(/^\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} UT$/);
      expect(Number.isNaN(Date.parse(row.modified as string))).toBe(false);
    }
  });

  it("keeps a status other than upload_completed, in the JSON and in the text", async () => {
    const { listing, text } = await listFiles({ parent_id: SEED.projectFolderId });
    expect(listing.entries.exceptions).toEqual({ [pendingFileId]: { status: "pending_upload" } });
    expect(text).toMatch(/ \(pending_upload\) half-uploaded\.bin$/m);
  });

  it("gives a folder a null size, and a recording the machine it ran on (here the listed one)", async () => {
    const { listing } = await listFiles({
      location: "machine",
      machine_id: SEED.runningMachineId,
      task_id: SEED.taskId,
    });
    const rows = rowsOf(listing.entries);
    expect(rows.find((row) => row.id === SEED.sessionFolderId)?.size).toBeNull();
    // A session recording carries the machine it ran on (SPEC §2): the listed one, so no exception.
    expect(listing.entries.exceptions?.[SEED.sessionFolderId]).toBeUndefined();
    expect(listing.entries.exceptions?.[SEED.taskOutputFolderId]).toBeUndefined();
  });

  it("names the folder of rows below the listed one by parent_id instead of repeating its path", async () => {
    const { listing } = await listFiles({ parent_id: SEED.projectFolderId, recursive: true });
    expect(listing.entries.columns).toEqual(["id", "name", "size", "modified", "parent_id"]);
    const rows = rowsOf(listing.entries);
    expect(rows.find((row) => row.id === SEED.nestedFileId)).toMatchObject({
      name: "links.txt",
      parent_id: SEED.nestedFolderId,
    });
    expect(rows.find((row) => row.id === SEED.nestedFolderId)?.parent_id).toBeNull();
    expect(listing.entries.exceptions?.[SEED.nestedFileId]).toBeUndefined();
  });

  it("says path and depth when the row's folder was listed by an earlier call (a cursor's continuation)", async () => {
    const first = await harness.callTool("list_files", {
      parent_id: SEED.projectFolderId,
      recursive: true,
      limit: 3,
    });
    const cursor = (first.structuredContent as { next_cursor?: string }).next_cursor;
    expect(cursor).toBeTruthy();
    const { listing } = await listFiles({ parent_id: SEED.projectFolderId, recursive: true, cursor });
    expect(rowsOf(listing.entries).find((row) => row.id === SEED.nestedFileId)?.parent_id).toBe(
      SEED.nestedFolderId,
    );
    expect(listing.entries.exceptions?.[SEED.nestedFileId]).toEqual({
      path: "/Project Folder/references/links.txt",
      depth: 1,
    });
  });

  it("costs under half the full entry shape on a 100-entry page", async () => {
    const { listing } = await listFiles({ parent_id: framesFolderId });
    const full = await harness.vagon.listFiles({
      location: "shared",
      parentId: framesFolderId,
      page: 1,
      perPage: 100,
    });
    const compactBytes = Buffer.byteLength(JSON.stringify(listing));
    const fullBytes = Buffer.byteLength(JSON.stringify({ ...listing, entries: full.entries }));
    expect(compactBytes / fullBytes).toBeLessThan(0.5);
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
        if (args.location === "recordings" && args.machine_id === undefined) {
          // The older revision's listings carry no machine_id: only the current shape names each
          // recording's machine, in a machine_id column; everything else reads the same.
          const { columns, rows } = jsonapi.listing.entries;
          expect(columns.at(-1)).toBe("machine_id");
          expect(rows.every((row) => typeof row.at(-1) === "number")).toBe(true);
          expect(jsonapi.listing.entries).not.toHaveProperty("exceptions");
          const entries = { ...jsonapi.listing.entries, columns: columns.slice(0, -1) };
          entries.rows = rows.map((row) => row.slice(0, -1));
          expect(JSON.stringify(flat.listing)).toBe(JSON.stringify({ ...jsonapi.listing, entries }));
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
    for (const { args } of [...LISTINGS, { args: { parent_id: SEED.projectFolderId, recursive: true } }]) {
      const { listing } = await listFiles(args);
      expect(validate(listing).valid, JSON.stringify(args)).toBe(true);
      const table = listing.entries;
      const first = table.rows[0]!;
      const withRows = (rows: unknown[][], extra: object = {}) => ({
        ...listing,
        entries: { ...table, rows, ...extra },
      });
      // Not vacuous: a missing cell, a cell of the wrong type, an unknown column or exception fails the SDK client's check.
      expect(validate(withRows([first.slice(1)])).valid).toBe(false);
      expect(validate(withRows([["x", ...first.slice(1)]])).valid).toBe(false);
      expect(validate({ ...listing, entries: { ...table, columns: [...table.columns, "uid"] } }).valid).toBe(
        false,
      );
      expect(validate(withRows([first], { exceptions: { [String(first[0])]: { uid: "x" } } })).valid).toBe(
        false,
      );
      expect(
        validate(withRows([first], { exceptions: { [String(first[0])]: { kind: "link" } } })).valid,
      ).toBe(false);
    }
  });
});

describe("listingTable", () => {
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

  it("leaves out a derivable path, machine_id and type and the normal status", () => {
    expect(listingTable([entry], folder, mime.lookup)).toEqual({
      columns: ["id", "name", "size", "modified"],
      rows: [[7, "a.txt", 3, "03 Feb 2026 09:15:00 UT"]],
    });
    expect(
      listingTable([{ ...entry, kind: "directory", size: null, content_type: null }], folder).exceptions,
    ).toBeUndefined();
  });

  it("says a file without a size is a file, and null where a derived path or machine_id is null", () => {
    expect(listingTable([{ ...entry, size: null }], folder, mime.lookup).exceptions).toEqual({
      7: { kind: "file" },
    });
    expect(
      listingTable([{ ...entry, path: null, machine_id: null }], folder, mime.lookup).exceptions,
    ).toEqual({
      7: { path: null, machine_id: null },
    });
  });

  it("treats a root's null path as '' and keeps a path from elsewhere", () => {
    const root = { id: 0, name: "Root", path: null };
    expect(
      listingTable([{ ...entry, path: "/a.txt", machine_id: null }], root, mime.lookup).exceptions,
    ).toBeUndefined();
    expect(
      listingTable([{ ...entry, path: "/Other/a.txt", machine_id: null }], root, mime.lookup).exceptions,
    ).toEqual({
      7: { path: "/Other/a.txt" },
    });
  });
});
