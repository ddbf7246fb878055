// The output budget (SPEC §2) through the MCP client: a 3,000-entry folder asked for with
// limit 10,000 comes back within ~30 KB / 8,000 tokens, text and structured together, and a
// model that only reads the text can continue from the line it was given until it has seen every
// entry exactly once.
import * as fs from "node:fs/promises";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import { estimateTokens, OUTPUT_BUDGET_TOKENS } from "../../src/mcp/kit/budget.js";
import { SEED } from "../../src/sandbox/index.js";
import { countTokens } from "../helpers/claude-tokens.js";
import { toolText, useHarness } from "../helpers/harness.js";
import { withRecords } from "../helpers/tables.js";

const FOLDER_ENTRIES = 3000;

const { harness, sandbox } = useHarness({ logLevel: "info" });
let folderId: number;

beforeAll(async () => {
  folderId = sandbox.addDirectory({ parentId: 0, name: "Budget renders" });
  for (let index = 0; index < FOLDER_ENTRIES; index += 1) {
    await sandbox.addFile({
      parentId: folderId,
      name: `shot_010_frame_${String(index).padStart(5, "0")}.png`,
      content: Buffer.alloc(index % 97),
      contentType: "image/png",
    });
  }
}, 30_000);

/** Everything a host may hand the model, as tokens of a Claude tokenizer. */
function resultTokens(result: CallToolResult): number {
  const text = toolText(result);
  return countTokens(text) + countTokens(JSON.stringify(result.structuredContent ?? {}));
}

/** Tokens per entry in each form, as the bench reports them. */
function tokensPerEntry(result: CallToolResult): { text: number; structured: number } {
  const entries = (result.structuredContent as { entries: { rows: unknown[] } }).entries.rows.length;
  return {
    text: countTokens(toolText(result)) / entries,
    structured: countTokens(JSON.stringify(result.structuredContent)) / entries,
  };
}

/** The file names of a text rendering (one line per entry: id, size, modified day, then the name). */
function namesInText(text: string): string[] {
  return text
    .split("\n")
    .map((line) => /^\d+ \S+ \d{4}-\d{2}-\d{2} (shot_.*)$/.exec(line)?.[1])
    .filter((name) => name !== undefined);
}

/** The arguments the text says to call again with, read as a text-only model would. */
function continuationFrom(text: string): Record<string, number> | null {
  const match = /call again with page=(\d+) per_page=(\d+)/.exec(text);
  return match ? { page: Number(match[1]), per_page: Number(match[2]) } : null;
}

describe("output budget", () => {
  it("keeps list_files limit 10000 over 3,000 entries within the budget, and the text alone continues to the last entry", async () => {
    const first = await harness.callTool("list_files", { parent_id: folderId, limit: 10_000 });
    expect(first.isError, toolText(first)).toBeFalsy();
    expect(resultTokens(first)).toBeLessThan(OUTPUT_BUDGET_TOKENS);
    const perEntry = tokensPerEntry(first);
    expect(perEntry.text).toBeLessThan(30);
    expect(perEntry.structured).toBeLessThan(30);
    const firstText = toolText(first);
    expect(firstText).toMatch(/cut to fit the output budget/);
    expect(firstText).not.toMatch(/structuredContent/);
    const structured = withRecords<{ entries: { name: string }[]; next_page: number }>(
      first.structuredContent,
    );
    // Text and structured hold the same entries.
    expect(namesInText(firstText)).toEqual(structured.entries.map((entry) => entry.name));

    const seen = namesInText(firstText);
    let next = continuationFrom(firstText);
    let calls = 1;
    while (next !== null) {
      const page = await harness.callTool("list_files", { parent_id: folderId, ...next });
      expect(page.isError, toolText(page)).toBeFalsy();
      expect(resultTokens(page)).toBeLessThan(OUTPUT_BUDGET_TOKENS);
      seen.push(...namesInText(toolText(page)));
      next = continuationFrom(toolText(page));
      calls += 1;
      expect(calls).toBeLessThan(100);
    }
    const expected = Array.from(
      { length: FOLDER_ENTRIES },
      (_, index) => `shot_010_frame_${String(index).padStart(5, "0")}.png`,
    );
    expect(seen).toEqual(expected);
  });

  it("cuts a hand-paged listing where a page ends, so the next call starts right after it", async () => {
    sandbox.clearRequests();
    const result = await harness.callTool("list_files", { parent_id: folderId, page: 3, per_page: 100 });
    expect(result.isError, toolText(result)).toBeFalsy();
    const names = namesInText(toolText(result));
    expect(names[0]).toBe("shot_010_frame_00200.png");
    expect(resultTokens(result)).toBeLessThan(OUTPUT_BUDGET_TOKENS);
  });

  it("keeps a page of session recordings, each naming its machine, under 30 tokens per entry in both forms", async () => {
    // Recordings carry the machine each session ran on (SPEC §2): the seed's and 120 on machine 200.
    const recordingsRootId = sandbox.recordingsRootId();
    sandbox.generateOrganization({
      layout: "sessions",
      parentId: recordingsRootId,
      machineId: SEED.stoppedMachineId,
      folders: 120,
      seed: 4,
    });
    const result = await harness.callTool("list_files", { location: "recordings" });
    expect(result.isError, toolText(result)).toBeFalsy();
    const entries = withRecords<{ entries: Array<{ machine_id?: number }> }>(
      result.structuredContent,
    ).entries;
    expect(entries.length).toBe(100);
    expect(toolText(result)).toMatch(/^\d+ \S+ machine=200 Session_10000\/$/m);
    const perEntry = tokensPerEntry(result);
    expect(perEntry.text).toBeLessThan(30);
    expect(perEntry.structured).toBeLessThan(30);
  });

  it("estimates tokens within 15 % of a Claude tokenizer for listings, JSON, prose and code", async () => {
    const listing = await harness.callTool("list_files", { parent_id: folderId, page: 1, per_page: 100 });
    const samples = [
      toolText(listing),
      JSON.stringify(listing.structuredContent),
      (await fs.readFile("README.md", "utf8")).slice(0, 16_000),
      (await fs.readFile("src/vagon/client.ts", "utf8")).slice(0, 16_000),
      JSON.stringify({ text: (await fs.readFile("README.md", "utf8")).slice(0, 8000) }),
    ];
    for (const sample of samples) {
      const ratio = estimateTokens(sample) / countTokens(sample);
      expect(ratio, sample.slice(0, 60)).toBeGreaterThan(0.85);
      expect(ratio, sample.slice(0, 60)).toBeLessThan(1.25);
    }
  });
});
