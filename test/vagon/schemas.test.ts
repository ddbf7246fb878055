import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  entrySchema,
  listFilesResponseSchema,
  parseCompletedUpload,
  parseCreatedDirectory,
  parseCreatedUpload,
  parseDownloadJob,
  parseDownloadStart,
  parseEnvelope,
  parseFileListPage,
  parseMachineContent,
  readPlainEntry,
  toEntry,
} from "../../src/vagon/schemas.js";

// Fixtures: the literal response examples of files-api.md (current revision) and of
// files-api-older-revision.txt. The only edits undo the docs' markdown mangling of URLs
// (`"<https://…\&…",\>` → `"https://…&…"`) and of the e-mail address, which made the JSON invalid.

const currentListContent = {
  content: [
    {
      path: "C:\\Users\\Administrator",
      name: "Administrator",
      is_directory: true,
    },
    {
      path: "C:\\Users\\Public",
      name: "Public",
      is_directory: true,
    },
  ],
  client_code: 200,
  message: "OK",
  timestamp: "2026-02-04T11:55:10Z",
};

const currentSharedListing = {
  files: [
    {
      id: "18093",
      type: "file",
      attributes: {
        name: "example.zip",
        size: 0,
        content_type: "directory",
        region: "dublin",
        status: "upload_completed",
        object_type: "directory",
        path: "/example.zip",
        parent_id: 5122,
        last_modified_date: null,
        file_storage_size: null,
        file_storage_usage: null,
        user: null,
        machine_id: null,
      },
    },
    {
      id: "18088",
      type: "file",
      attributes: {
        name: "Project Folder",
        size: 0,
        content_type: "directory",
        region: "dublin",
        status: "upload_completed",
        object_type: "directory",
        path: "/Project Folder",
        parent_id: 5122,
        last_modified_date: null,
        file_storage_size: null,
        file_storage_usage: null,
        user: null,
        machine_id: null,
      },
    },
  ],
  current: {
    id: "5122",
    type: "file",
    attributes: {
      name: "Teams Shared Folder",
      size: 0,
      content_type: "directory",
      region: "dublin",
      status: "upload_completed",
      object_type: "root",
      path: null,
      parent_id: null,
      last_modified_date: "2026-02-04T12:07:59.204Z",
      file_storage_size: 26843545600,
      file_storage_usage: 0,
      user: null,
      machine_id: null,
    },
  },
  count: 2,
  page: 1,
  next_page: null,
  client_code: 200,
  message: "OK",
  timestamp: "2026-02-05T10:17:46Z",
};

const currentCreateFile = {
  id: 6731,
  uid: "string",
  upload_urls: [
    {
      part_number: 1,
      url: "https://s3.amazonaws.com/bucket/file?uploadId=xyz&partNumber=1&X-Amz-Signature=...",
    },
    {
      part_number: 2,
      url: "https://s3.amazonaws.com/bucket/file?uploadId=xyz&partNumber=2&X-Amz-Signature=...",
    },
  ],
  chunk_size: 250,
  client_code: 200,
  message: "OK",
  timestamp: "2026-02-05T10:00:00Z",
};

const currentCreateDirectory = {
  id: 124,
  uid: "def456-ghi789-jkl012",
  upload_urls: null,
  chunk_size: 250,
  client_code: 200,
  message: "OK",
  timestamp: "2026-02-05T10:00:00Z",
};

const currentRecordingsListing = {
  files: [
    {
      id: "5911",
      type: "file",
      attributes: {
        name: "rec-20260121-214832.log",
        size: 14463,
        content_type: "application/octet-stream",
        region: "dublin",
        status: "upload_completed",
        object_type: "file",
        path: "/Session_1950/rec-20260121-214832.log",
        parent_id: 22086,
        last_modified_date: "2026-01-21T21:49:09.491Z",
        file_storage_size: null,
        file_storage_usage: null,
        user: null,
        machine_id: null,
      },
    },
    {
      id: "5910",
      type: "file",
      attributes: {
        name: "rec-20260121-214832.mp4",
        size: 2095700,
        content_type: "video/mp4",
        region: "dublin",
        status: "upload_completed",
        object_type: "file",
        path: "/Session_1950/rec-20260121-214832.mp4",
        parent_id: 22086,
        last_modified_date: "2026-01-21T21:49:09.203Z",
        file_storage_size: null,
        file_storage_usage: null,
        user: null,
        machine_id: null,
      },
    },
  ],
  current: {
    id: "22086",
    type: "file",
    attributes: {
      name: "Session_1950",
      size: 0,
      content_type: "directory",
      region: "dublin",
      status: "upload_completed",
      object_type: "directory",
      path: "/Session_1950",
      parent_id: 22049,
      last_modified_date: "2026-01-21T21:49:09.491Z",
      file_storage_size: null,
      file_storage_usage: null,
      user: null,
      machine_id: null,
    },
  },
  count: 2,
  page: 1,
  next_page: null,
  client_code: 200,
  message: "OK",
  timestamp: "2026-02-16T10:21:33Z",
};

const currentMachineListing = {
  files: [
    {
      id: "18468",
      type: "file",
      attributes: {
        name: "Machine Project Folder",
        size: 0,
        content_type: "directory",
        region: "dublin",
        status: "upload_completed",
        object_type: "directory",
        path: "/Machine Project Folder",
        parent_id: 18465,
        last_modified_date: "2026-02-05T10:20:53.650Z",
        file_storage_size: null,
        file_storage_usage: null,
        user: {
          id: "f1592625-edd0-48df-9bc0-de14910ec936",
          type: "user",
          attributes: {
            email: "user@vagon.io",
            name: "Computer User",
          },
        },
        machine_id: 100,
      },
    },
    {
      id: "18473",
      type: "file",
      attributes: {
        name: "image.png",
        size: 303043,
        content_type: "image/png",
        region: "dublin",
        status: "upload_completed",
        object_type: "file",
        path: null,
        parent_id: 18465,
        last_modified_date: "2026-02-05T10:20:33.331Z",
        file_storage_size: null,
        file_storage_usage: null,
        user: {
          id: "f1592625-edd0-48df-9bc0-de14910ec936",
          type: "user",
          attributes: {
            email: "user@vagon.io",
            name: "Computer User",
          },
        },
        machine_id: 100,
      },
    },
  ],
  current: {
    id: "18465",
    type: "file",
    attributes: {
      name: "Computer #100",
      size: 0,
      content_type: "directory",
      region: "dublin",
      status: "upload_completed",
      object_type: "root",
      path: null,
      parent_id: null,
      last_modified_date: "2026-02-05T10:20:53.650Z",
      file_storage_size: 26843545600,
      file_storage_usage: 2688255,
      user: {
        id: "f1592625-edd0-48df-9bc0-de14910ec936",
        type: "user",
        attributes: {
          email: "user@vagon.io",
          name: "Computer User",
        },
      },
      machine_id: 100,
    },
  },
  count: 3,
  page: 1,
  next_page: null,
  client_code: 200,
  message: "OK",
  timestamp: "2026-02-05T10:22:33Z",
};

const currentComplete = {
  uid: "string",
  download_url: "https://s3.amazonaws.com/bucket/file?X-Amz-Signature=...&X-Amz-Expires=3600",
  client_code: 200,
  message: "OK",
  timestamp: "2026-02-05T10:00:00Z",
};

const currentDeleteSuccess = {
  client_code: 200,
  message: "OK",
  timestamp: "2026-02-04T12:16:26Z",
};

const currentDownloadStart = {
  url: "https://s3.amazonaws.com/bucket/file?X-Amz-Signature=...&X-Amz-Expires=3600",
  size: 1601,
  name: "string",
  content_type: "string",
  download_id: 5085,
  client_code: 200,
  message: "OK",
  timestamp: "2026-02-05T10:00:00Z",
};

const currentDownloadStatus = {
  id: "string",
  type: "download",
  attributes: {
    status: "uploaded",
    download_url:
      "https://s3.amazonaws.com/bucket/temp_files/uuid/archive.zip?X-Amz-Signature=...&X-Amz-Expires=3600",
    expires_at: "2021-01-21T16:09:09.461Z",
    size: 1048576,
  },
  client_code: 200,
  message: "OK",
  timestamp: "2026-02-05T10:00:00Z",
};

const olderListContent = {
  content: [
    { name: "Documents", type: "directory", path: "C:\\Users\\Documents" },
    { name: "file.txt", type: "file", path: "C:\\Users\\file.txt", size: 1024 },
  ],
};

const olderSharedListing = {
  files: [
    {
      id: 1,
      name: "project-files",
      size: null,
      content_type: "directory",
      uid: "abc123",
      object_type: "directory",
      path: "project-files",
      parent_id: 0,
      last_modified_date: "2024-01-15T10:00:00Z",
      region: "dublin",
      status: "upload_completed",
    },
    {
      id: 2,
      name: "document.pdf",
      size: 1048576,
      content_type: "application/pdf",
      uid: "def456",
      object_type: "file",
      path: "document.pdf",
      parent_id: 1,
      last_modified_date: "2024-01-15T11:00:00Z",
      region: "dublin",
      status: "upload_completed",
    },
  ],
  current: { id: 0, name: "Teams Shared Folder", object_type: "directory", uid: "root123" },
  count: 45,
  page: 1,
  next_page: 2,
};

// Older revision, "Generate Download Link for a File" (GET /files/{id}/download).
const olderDownloadLink = {
  url: "https://s3.amazonaws.com/bucket/file?X-Amz-Signature=abc123...&X-Amz-Expires=3600",
  size: 104857600,
  name: "example.zip",
  content_type: "application/zip",
};

type JsonApiItem = { id: string; type: string; attributes: Record<string, unknown> };

/**
 * The same item as the older flat revision would send it: integer id, the root as id 0 of
 * object_type "directory", directories with null size and type, paths without the leading slash.
 */
function toFlat(item: JsonApiItem) {
  const { attributes } = item;
  const directory = attributes.object_type !== "file";
  const root = attributes.object_type === "root";
  const { user: _user, machine_id: _machineId, ...rest } = attributes;
  return {
    ...rest,
    id: root ? 0 : Number(item.id),
    uid: `uid-${item.id}`,
    object_type: root ? "directory" : attributes.object_type,
    size: directory ? null : attributes.size,
    content_type: directory ? null : attributes.content_type,
    path: typeof attributes.path === "string" ? attributes.path.slice(1) : attributes.path,
  };
}

function toFlatListing(
  listing: { files: JsonApiItem[]; current: JsonApiItem | null } & Record<string, unknown>,
) {
  return {
    ...listing,
    files: listing.files.map(toFlat),
    current: listing.current ? toFlat(listing.current) : null,
  };
}

describe("file listings", () => {
  it("normalizes the documented shared-folder listing (current shape)", () => {
    const page = parseFileListPage(currentSharedListing);
    expect(page.entries).toEqual([
      {
        id: 18093,
        name: "example.zip",
        kind: "directory",
        size: null,
        content_type: null,
        modified: null,
        path: "/example.zip",
        status: "upload_completed",
        machine_id: null,
      },
      {
        id: 18088,
        name: "Project Folder",
        kind: "directory",
        size: null,
        content_type: null,
        modified: null,
        path: "/Project Folder",
        status: "upload_completed",
        machine_id: null,
      },
    ]);
    // The root reads as id 0 in both revisions (callers pass parent_id 0 for it).
    expect(page.folder).toEqual({ id: 0, name: "Teams Shared Folder", path: null });
    expect(page.storage).toEqual({ usedBytes: 0, totalBytes: 26843545600 });
    expect(page).toMatchObject({ total: 2, page: 1, nextPage: null });
  });

  it("normalizes the documented shared-folder listing of the older flat revision", () => {
    const page = parseFileListPage(olderSharedListing);
    expect(page.entries).toEqual([
      {
        id: 1,
        name: "project-files",
        kind: "directory",
        size: null,
        content_type: null,
        modified: "2024-01-15T10:00:00Z",
        path: "/project-files",
        status: "upload_completed",
        machine_id: null,
      },
      {
        id: 2,
        name: "document.pdf",
        kind: "file",
        size: 1048576,
        content_type: "application/pdf",
        modified: "2024-01-15T11:00:00Z",
        path: "/document.pdf",
        status: "upload_completed",
        machine_id: null,
      },
    ]);
    expect(page.folder).toEqual({ id: 0, name: "Teams Shared Folder", path: null });
    expect(page).toMatchObject({ total: 45, page: 1, nextPage: 2, storage: null });
  });

  it("gives identical results for the same folder in both shapes", () => {
    for (const listing of [currentSharedListing, currentMachineListing, currentRecordingsListing]) {
      const flat = toFlatListing(listing as Parameters<typeof toFlatListing>[0]);
      expect(parseFileListPage(flat, { defaults: { machineId: 100 } }).entries.map((e) => e.id)).toEqual(
        listing.files.map((item) => Number(item.id)),
      );
      const fromCurrent = parseFileListPage(listing);
      const fromFlat = parseFileListPage(flat);
      // The flat revision carries no machine_id: compare everything else.
      const withoutMachine = (entries: typeof fromCurrent.entries) =>
        entries.map(({ machine_id: _machineId, ...rest }) => rest);
      expect(withoutMachine(fromFlat.entries)).toEqual(withoutMachine(fromCurrent.entries));
      expect(fromFlat.folder).toEqual(fromCurrent.folder);
      expect(fromFlat.storage).toEqual(fromCurrent.storage);
      expect(fromFlat.total).toBe(fromCurrent.total);
    }
  });

  it("reads a machine's storage quota and file entries with their machine id", () => {
    const page = parseFileListPage(currentMachineListing);
    expect(page.storage).toEqual({ usedBytes: 2688255, totalBytes: 26843545600 });
    expect(page.folder).toEqual({ id: 0, name: "Computer #100", path: null });
    // Asked for by its real id, a root keeps it.
    expect(parseFileListPage(currentMachineListing, { requestedParentId: 18465 }).folder?.id).toBe(18465);
    expect(page.entries[1]).toEqual({
      id: 18473,
      name: "image.png",
      kind: "file",
      size: 303043,
      content_type: "image/png",
      modified: "2026-02-05T10:20:33.331Z",
      path: null,
      status: "upload_completed",
      machine_id: 100,
    });
    expect(page.total).toBe(3);
  });

  it("fills a missing machine_id from the listing's machine, but keeps an explicit null", () => {
    const flat = toFlatListing(currentMachineListing as Parameters<typeof toFlatListing>[0]);
    expect(
      parseFileListPage(flat, { defaults: { machineId: 100 } }).entries.map((e) => e.machine_id),
    ).toEqual([100, 100]);
    const explicitNull = { files: [{ ...flat.files[0], machine_id: null }], current: null };
    expect(
      parseFileListPage(explicitNull, { defaults: { machineId: 100 } }).entries[0]?.machine_id,
    ).toBeNull();
  });

  it("lists recordings with the session folder as the current folder and no quota", () => {
    const page = parseFileListPage(currentRecordingsListing);
    expect(page.folder).toEqual({ id: 22086, name: "Session_1950", path: "/Session_1950" });
    expect(page.storage).toBeNull();
    expect(page.entries.map((e) => [e.id, e.kind, e.size, e.content_type])).toEqual([
      [5911, "file", 14463, "application/octet-stream"],
      [5910, "file", 2095700, "video/mp4"],
    ]);
  });

  it("takes the quota from root-level items when there is no current folder", () => {
    const page = parseFileListPage({
      files: [
        { id: 7, name: "a.txt", object_type: "file", size: 3, file_storage_size: null },
        {
          id: "9",
          type: "file",
          attributes: {
            name: "user@example.com",
            object_type: "root",
            size: 0,
            file_storage_size: 1000,
            file_storage_usage: 250,
          },
        },
      ],
      current: null,
      count: 2,
      page: 1,
      next_page: null,
    });
    expect(page.storage).toEqual({ usedBytes: 250, totalBytes: 1000 });
    expect(page.folder).toBeNull();
    expect(page.entries[1]).toMatchObject({ id: 9, kind: "directory", size: null });
  });

  it("tolerates unknown fields, nulls and junk in informative fields", () => {
    const page = parseFileListPage({
      files: [
        { id: "5", name: "x.bin", size: "not a number", content_type: null, tags: ["extra"], region: 7 },
      ],
      current: null,
      count: null,
      page: "2",
      next_page: "3",
      meta: { anything: true },
    });
    expect(page.entries).toEqual([
      {
        id: 5,
        name: "x.bin",
        kind: "file",
        size: null,
        content_type: null,
        modified: null,
        path: null,
        status: "unknown",
        machine_id: null,
      },
    ]);
    expect(page).toMatchObject({ total: 1, page: 2, nextPage: 3 });
  });

  it('treats content_type "directory" as a folder even without object_type', () => {
    const page = parseFileListPage({ files: [{ id: 3, name: "docs", content_type: "directory", size: 0 }] });
    expect(page.entries[0]).toMatchObject({ kind: "directory", size: null, content_type: null });
  });

  it.each([["abc"], ["12.5"], [-4], [1.5], [null], ["9007199254740993"]])("refuses the id %j", (id) => {
    expect(() => parseFileListPage({ files: [{ id, name: "x" }] })).toThrow();
  });

  // Listings skip zod for entries in their plain form; whatever the fast path reads must be what
  // the schema reads, and whatever it can't read goes to the schema.
  const oddValue = fc.oneof(
    fc.constantFrom(1.5, 2 ** 53, -0, -5, Number.MAX_SAFE_INTEGER + 2),
    fc.constantFrom(" 12", "12 ", "", "-3", "1e3", "9007199254740993", "123456789012345"),
    fc.boolean(),
    fc.constant({ nested: 1 }),
    fc.constant([1]),
  );
  const fieldValue = fc.oneof(
    fc.constantFrom(undefined, null),
    fc.integer({ min: 0, max: 2 ** 40 }),
    fc.constantFrom("12", "007", "x.bin"),
    oddValue,
  );
  const likely = <T>(plain: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: plain, weight: 12 }, { arbitrary: fieldValue, weight: 1 });
  const intField = likely(fc.oneof(fc.constantFrom(undefined, null), fc.integer({ min: 0, max: 2 ** 40 })));
  const textField = likely(fc.oneof(fc.constantFrom(undefined, null), fc.string({ maxLength: 6 })));
  const fields = fc.record(
    {
      id: likely(fc.oneof(fc.nat(), fc.nat().map(String))),
      name: likely(fc.string({ maxLength: 6 })),
      size: intField,
      content_type: likely(fc.constantFrom("directory", "image/png", null)),
      object_type: likely(fc.constantFrom("directory", "root", "file", undefined)),
      path: textField,
      parent_id: intField,
      last_modified_date: textField,
      status: textField,
      file_storage_size: intField,
      file_storage_usage: intField,
      machine_id: intField,
      region: fieldValue,
    },
    { requiredKeys: ["name"] },
  );
  const item = fc.oneof(
    fields,
    fc
      .tuple(fieldValue, fields, fc.boolean())
      .map(([id, attributes, withId]) =>
        withId ? { id, type: "file", attributes } : { type: "file", attributes },
      ),
    fields.map((data) => ({ data })),
    fc.tuple(fields, fields).map(([outer, data]) => ({ ...outer, data })),
    fc.tuple(fields, fields).map(([attributes, data]) => ({ type: "file", attributes, data })),
  );

  it("reads plain entries exactly as the schema does, and leaves the rest to it", () => {
    let plainCount = 0;
    fc.assert(
      fc.property(item, (raw) => {
        const plain = readPlainEntry(raw);
        const schema = entrySchema.safeParse(raw);
        if (plain === undefined) return;
        plainCount += 1;
        expect(schema.success).toBe(true);
        expect(plain).toEqual(schema.data);
      }),
      { numRuns: 3000 },
    );
    expect(plainCount).toBeGreaterThan(50);
    // Both documented shapes take the fast path.
    for (const listing of [
      currentSharedListing,
      currentMachineListing,
      currentRecordingsListing,
      olderSharedListing,
    ])
      for (const raw of listing.files) expect(readPlainEntry(raw)).toBeDefined();
  });

  it("gives the schema's answer or error for any listing", () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 4 }), (files) => {
        const body = { files, count: files.length };
        const whole = (() => {
          try {
            return listFilesResponseSchema.parse(body).files.map((raw) => toEntry(raw));
          } catch (error) {
            return { error: String(error) };
          }
        })();
        const page = (() => {
          try {
            return parseFileListPage(body).entries;
          } catch (error) {
            return { error: String(error) };
          }
        })();
        expect(page).toEqual(whole);
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses a listing without files", () => {
    expect(() => parseFileListPage({ client_code: 200, message: "OK" })).toThrow();
  });
});

describe("live machine disk", () => {
  it("normalizes the current {path, name, is_directory} items", () => {
    expect(parseMachineContent(currentListContent, "C:\\Users")).toEqual([
      { name: "Administrator", path: "C:\\Users\\Administrator", kind: "directory", size: null },
      { name: "Public", path: "C:\\Users\\Public", kind: "directory", size: null },
    ]);
  });

  it("normalizes the older {name, type, path, size} items", () => {
    expect(parseMachineContent(olderListContent, "C:\\Users")).toEqual([
      { name: "Documents", path: "C:\\Users\\Documents", kind: "directory", size: null },
      { name: "file.txt", path: "C:\\Users\\file.txt", kind: "file", size: 1024 },
    ]);
  });

  it("accepts content wrapped in an object and derives missing names and paths", () => {
    expect(
      parseMachineContent(
        {
          content: {
            items: [
              { path: "D:\\data\\a.csv", is_directory: false },
              { name: "logs", type: "directory" },
            ],
          },
        },
        "D:\\data\\",
      ),
    ).toEqual([
      { name: "a.csv", path: "D:\\data\\a.csv", kind: "file", size: null },
      { name: "logs", path: "D:\\data\\logs", kind: "directory", size: null },
    ]);
  });

  it("reads an empty folder", () => {
    expect(parseMachineContent({ content: [], client_code: 200 }, "C:\\")).toEqual([]);
  });
});

describe("create and complete", () => {
  it("reads the documented file creation answer", () => {
    expect(parseCreatedUpload(currentCreateFile)).toEqual({
      id: 6731,
      uid: "string",
      chunkSizeMb: 250,
      uploadUrls: [
        {
          partNumber: 1,
          url: "https://s3.amazonaws.com/bucket/file?uploadId=xyz&partNumber=1&X-Amz-Signature=...",
        },
        {
          partNumber: 2,
          url: "https://s3.amazonaws.com/bucket/file?uploadId=xyz&partNumber=2&X-Amz-Signature=...",
        },
      ],
    });
  });

  it("sorts upload URLs by part number and accepts a JSON:API-wrapped answer", () => {
    const created = parseCreatedUpload({
      id: "6731",
      type: "file",
      attributes: {
        uid: "u-1",
        chunk_size: "5",
        upload_urls: [
          { part_number: 2, url: "http://127.0.0.1:9/s3/2" },
          { part_number: "1", url: "http://127.0.0.1:9/s3/1" },
        ],
      },
    });
    expect(created).toMatchObject({ id: 6731, uid: "u-1", chunkSizeMb: 5 });
    expect(created.uploadUrls.map((part) => part.partNumber)).toEqual([1, 2]);
  });

  it("refuses a file answer without upload URLs, with gaps, or with relative URLs", () => {
    expect(() => parseCreatedUpload(currentCreateDirectory)).toThrow(/upload URLs/);
    expect(() =>
      parseCreatedUpload({ id: 1, upload_urls: [{ part_number: 2, url: "https://s3.example/p2" }] }),
    ).toThrow(/part numbers/);
    expect(() =>
      parseCreatedUpload({ id: 1, upload_urls: [{ part_number: 1, url: "/relative" }] }),
    ).toThrow();
  });

  it("reads the documented directory creation answer", () => {
    expect(parseCreatedDirectory(currentCreateDirectory)).toEqual({ id: 124, uid: "def456-ghi789-jkl012" });
    expect(parseCreatedDirectory({ id: "125" })).toEqual({ id: 125, uid: null });
  });

  it("reads the documented completion answer", () => {
    expect(parseCompletedUpload(currentComplete)).toEqual({
      uid: "string",
      downloadUrl: "https://s3.amazonaws.com/bucket/file?X-Amz-Signature=...&X-Amz-Expires=3600",
    });
    expect(parseCompletedUpload({ uid: 77, download_url: null })).toEqual({ uid: "77", downloadUrl: null });
  });
});

describe("downloads", () => {
  it("prefers the direct link when the answer has one (the documented example shows both)", () => {
    expect(parseDownloadStart(currentDownloadStart)).toEqual({
      kind: "link",
      url: "https://s3.amazonaws.com/bucket/file?X-Amz-Signature=...&X-Amz-Expires=3600",
      sizeBytes: 1601,
      name: "string",
      contentType: "string",
    });
  });

  it("reads the older single-file download link answer", () => {
    expect(parseDownloadStart(olderDownloadLink)).toMatchObject({ kind: "link", sizeBytes: 104857600 });
  });

  it("reads a zip job answer with an integer or string download id", () => {
    expect(parseDownloadStart({ url: null, size: 2048, name: "bundle.zip", download_id: 5085 })).toEqual({
      kind: "job",
      downloadId: 5085,
      sizeBytes: 2048,
      name: "bundle.zip",
    });
    expect(parseDownloadStart({ download_id: "5086" })).toMatchObject({ kind: "job", downloadId: 5086 });
  });

  it("refuses an answer with neither a link nor a job id", () => {
    expect(() => parseDownloadStart({ client_code: 200, size: 3 })).toThrow(/download_id/);
    expect(() => parseDownloadStart({ download_id: "x1" })).toThrow();
  });

  it("reads the documented job status (JSON:API shape, placeholder id)", () => {
    expect(parseDownloadJob(currentDownloadStatus, 77)).toEqual({
      downloadId: 77,
      status: "uploaded",
      url: "https://s3.amazonaws.com/bucket/temp_files/uuid/archive.zip?X-Amz-Signature=...&X-Amz-Expires=3600",
      expiresAt: "2021-01-21T16:09:09.461Z",
      sizeBytes: 1048576,
    });
  });

  it("reads the same job status in both shapes identically", () => {
    const attributes = {
      status: "processing",
      download_url: null,
      expires_at: "2026-02-06T10:00:00Z",
      size: null,
    };
    const fromJsonApi = parseDownloadJob({ id: "78", type: "download", attributes }, 78);
    const fromFlat = parseDownloadJob({ id: 78, ...attributes, client_code: 200 }, 78);
    expect(fromFlat).toEqual(fromJsonApi);
    expect(fromFlat).toEqual({
      downloadId: 78,
      status: "processing",
      url: null,
      expiresAt: "2026-02-06T10:00:00Z",
      sizeBytes: null,
    });
  });

  it("accepts every documented status, the US spelling of cancelled, and nothing else", () => {
    for (const status of ["pending", "processing", "uploaded", "failed", "cancelled"]) {
      expect(parseDownloadJob({ id: 1, status }, 1).status).toBe(status);
    }
    expect(parseDownloadJob({ id: 1, status: "Canceled" }, 1).status).toBe("cancelled");
    expect(() => parseDownloadJob({ id: 1, status: "exploded" }, 1)).toThrow();
    expect(() => parseDownloadJob({ id: 1 }, 1)).toThrow();
  });
});

describe("envelopes", () => {
  it("reads client_code and message from error bodies in any documented form", () => {
    expect(parseEnvelope({ client_code: 4710, message: "Permission required", timestamp: "x" })).toEqual({
      clientCode: 4710,
      message: "Permission required",
    });
    expect(parseEnvelope({ client_code: "451", errors: [{ detail: "File exists" }] })).toEqual({
      clientCode: 451,
      message: "File exists",
    });
    expect(parseEnvelope(currentDeleteSuccess)).toEqual({ clientCode: 200, message: "OK" });
    expect(parseEnvelope("<html>Bad gateway</html>")).toEqual({ clientCode: null, message: null });
  });
});
