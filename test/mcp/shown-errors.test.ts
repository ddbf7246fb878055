// What reaches the model verbatim is one type (ShownError): every class that extends it has its
// message shown as written and is not logged as unexpected; anything else is reported generically.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalPathError, ToolError, UserInputError } from "../../src/mcp/errors.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { ShownError } from "../../src/shown-error.js";
import { DownloadFailedError } from "../../src/vagon/download.js";
import { VagonError } from "../../src/vagon/errors.js";
import { RangedReadError } from "../../src/vagon/ranged-reader.js";
import type { VagonClient } from "../../src/vagon/types.js";
import { UploadFailedError } from "../../src/vagon/upload.js";
import { startHarness, toolText } from "../helpers/hardening.js";

const cause = new Error("socket hang up");
const shown: [string, () => Error][] = [
  ["ToolError", () => new ToolError("The folder 'Renders' is empty; upload into it first.")],
  ["UserInputError", () => new UserInputError("Give parent_id or path, not both; drop one and call again.")],
  [
    "LocalPathError",
    () => new LocalPathError("C:/x is outside the allowed folders; save inside one of them."),
  ],
  [
    "VagonError",
    () =>
      new VagonError({
        kind: "api",
        operation: "list-files",
        status: 500,
        message: "Vagon could not list the files (HTTP 500); try again in a minute.",
      }),
  ],
  [
    "UploadFailedError",
    () =>
      new UploadFailedError(
        "Uploading 'a.bin' failed: S3 answered 500; the entry was removed, upload again.",
        {
          cause,
          entryId: 7,
          entryRemoved: true,
        },
      ),
  ],
  ["DownloadFailedError", () => new DownloadFailedError("The download failed after 5 attempts; try again.")],
  [
    "RangedReadError",
    () => new RangedReadError("Reading the file from storage failed; try again in a moment."),
  ],
];

let sandbox: Sandbox;
let thrown: () => Error;
let harness: Awaited<ReturnType<typeof startHarness>>;

beforeAll(async () => {
  sandbox = await startSandbox();
  const wrapClient = (client: VagonClient): VagonClient =>
    Object.assign(Object.create(client) as VagonClient, {
      listFiles: async () => {
        throw thrown();
      },
    });
  harness = await startHarness({ sandbox, wrapClient });
});

afterAll(async () => {
  await harness?.close();
  await sandbox?.close();
});

describe("errors shown to the model", () => {
  it.each(shown)("a %s reaches the model verbatim and is not logged as unexpected", async (_name, make) => {
    thrown = make;
    const expected = make();
    expect(expected).toBeInstanceOf(ShownError);
    const logsBefore = harness.logs.length;
    const result = await harness.callTool("list_files", {});
    expect(result.isError).toBe(true);
    expect(toolText(result)).toBe(expected.message);
    const unexpected = harness.logs.slice(logsBefore).filter((record) => /Unexpected/.test(record.message));
    expect(unexpected).toEqual([]);
  });

  it("any other error is logged as unexpected and reported generically", async () => {
    thrown = () => new TypeError("Cannot read properties of undefined (reading 'id')");
    const logsBefore = harness.logs.length;
    const result = await harness.callTool("list_files", {});
    expect(toolText(result)).toMatch(/^Unexpected error in list_files: Cannot read properties/);
    expect(harness.logs.slice(logsBefore).some((record) => record.level === "error")).toBe(true);
  });
});
