// The local walk behind folder uploads: parents first, links reported and never followed,
// excludes at any depth, and a clear refusal past the per-call file limit.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckedPath } from "../../src/mcp/local-paths.js";
import { excludeMatcher, walkLocalFolder } from "../../src/mcp/local-tree.js";

let root: string;

beforeAll(async () => {
  root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "local-tree-")));
  for (const file of ["a.txt", "sub/b.txt", "sub/deeper/c.txt", "sub/.git/HEAD", "sub/x.tmp"]) {
    await fs.mkdir(path.dirname(path.join(root, "tree", file)), { recursive: true });
    await fs.writeFile(path.join(root, "tree", file), file);
  }
  await fs.symlink(path.join(root, "tree", "sub"), path.join(root, "tree", "loop"));
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe("walkLocalFolder", () => {
  it("lists parents before children, excludes by name at any depth, and reports links", async () => {
    const tree = await walkLocalFolder(path.join(root, "tree") as CheckedPath, {
      roots: [root],
      isExcluded: await excludeMatcher([".git", "*.tmp"]),
    });
    expect(tree.directories).toEqual(["sub", "sub/deeper"]);
    expect(tree.files.map((file) => file.relativePath)).toEqual(["a.txt", "sub/b.txt", "sub/deeper/c.txt"]);
    expect(tree.files[1]).toMatchObject({ sizeBytes: "sub/b.txt".length });
    expect(tree.skipped).toEqual([{ path: "loop", reason: "a symbolic link (not followed)" }]);
    expect(tree.excluded).toBe(2);
  });

  it("refuses a tree with more files than one call sends, before anything is uploaded", async () => {
    await expect(
      walkLocalFolder(path.join(root, "tree") as CheckedPath, { roots: [root], maxFiles: 2 }),
    ).rejects.toThrow(/more than 2 files.*sub-folders one at a time.*exclude/);
  });
});
