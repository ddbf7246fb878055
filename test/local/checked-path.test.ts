// The writers take only a CheckedPath, what the containment check passed: a plain string doesn't
// type-check there (tsc checks this file: `npm test` runs the typecheck), and checkedChild, the
// one way to name something new inside a checked folder, refuses any name that could lead out.
// The flushing writer likewise takes only a handle created new at a checked path.
import type * as fs from "node:fs/promises";
import path from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import { type CheckedPath, checkedChild } from "../../src/local/containment.js";
import { extractZip } from "../../src/local/extract.js";
import {
  createFlushingWriter,
  createNewFile,
  FlushingFileWriter,
  freeFolderName,
  moveToFreeName,
  type NewFileHandle,
} from "../../src/local/files.js";
import { markExtraction } from "../../src/local/leftovers.js";
import type { CheckedPath as KitCheckedPath } from "../../src/mcp/kit/checked-paths.js";
import { type SavedFile, type SaveUrlOptions, saveUrlToFile } from "../../src/vagon/download.js";
import type { FolderPlanFile } from "../../src/vagon/folder-upload.js";
import type { RangedDownloadOptions } from "../../src/vagon/parallel-download.js";
import { checkedByTest } from "../helpers/checked-path.js";

describe("CheckedPath", () => {
  it("is the only path the writers take: a plain string is refused by the compiler", () => {
    expectTypeOf<string>().not.toExtend<CheckedPath>();
    expectTypeOf<SaveUrlOptions["directory"]>().toEqualTypeOf<CheckedPath>();
    expectTypeOf<SavedFile["savedPath"]>().toEqualTypeOf<CheckedPath>();
    expectTypeOf(moveToFreeName).parameters.toEqualTypeOf<[CheckedPath, CheckedPath, string]>();
    expectTypeOf(freeFolderName).parameter(0).toEqualTypeOf<CheckedPath>();
    expectTypeOf(extractZip).parameter(0).toEqualTypeOf<CheckedPath>();
    expectTypeOf(extractZip).parameter(1).toEqualTypeOf<CheckedPath>();
    expectTypeOf(markExtraction).parameter(0).toEqualTypeOf<CheckedPath>();
    // The kit hands tools the same type the writers demand, and it survives a trip through vagon/.
    expectTypeOf<KitCheckedPath>().toEqualTypeOf<CheckedPath>();
    expectTypeOf<FolderPlanFile["path"]>().toEqualTypeOf<CheckedPath>();

    // Bytes go only to a file created new at a checked path, never to a handle opened some other way.
    expectTypeOf(createNewFile).parameter(0).toEqualTypeOf<CheckedPath>();
    expectTypeOf(createFlushingWriter).parameter(0).toEqualTypeOf<NewFileHandle>();
    expectTypeOf<RangedDownloadOptions["handle"]>().toEqualTypeOf<NewFileHandle>();
    expectTypeOf<fs.FileHandle>().not.toExtend<NewFileHandle>();

    const rawPath: string = "/home/user/Downloads";
    const neverRun = (options: SaveUrlOptions, openedAnyhow: fs.FileHandle) => {
      // @ts-expect-error a raw path can't reach the download writer
      void saveUrlToFile({ ...options, directory: rawPath });
      // @ts-expect-error nor extraction
      void extractZip(rawPath, rawPath);
      // @ts-expect-error nor the free-name rule
      void freeFolderName(rawPath, "bundle");
      // @ts-expect-error a handle opened any other way can't reach the flushing writer
      void new FlushingFileWriter(openedAnyhow, 0, () => {});
    };
    expect(neverRun).toBeTypeOf("function");
  });

  it("names a plain child of a checked folder, and refuses a name that could lead out", () => {
    const folder = checkedByTest("/data/root/downloads");
    expect(checkedChild(folder, "report (1).pdf")).toBe(path.join(folder, "report (1).pdf"));
    expect(checkedChild(folder, ".report.pdf.0123456789ab.partial")).toBe(
      path.join(folder, ".report.pdf.0123456789ab.partial"),
    );
    for (const name of ["", ".", "..", "../etc", "a/b", "a\\b", "/etc/passwd", "x\0y"]) {
      expect(() => checkedChild(folder, name), JSON.stringify(name)).toThrow(/not a plain file name/);
    }
  });
});
