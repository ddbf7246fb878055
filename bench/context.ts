// What a listing costs the model: bytes of the tool result (every content item + the JSON of
// structuredContent) per listed entry, against the raw API JSON per entry of the same listing.
// Hosts pass the model one or the other, so each is reported too: the content items (Claude
// Desktop, claude.ai, Cursor, ChatGPT) or the JSON of structuredContent alone (Claude Code), and
// in Claude-tokenizer tokens per entry, per form (SPEC §2: < 30 in each).
import { countTokens } from "@anthropic-ai/tokenizer";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { SEED } from "../src/sandbox/index.js";
import { tableRows } from "../src/views/table.js";
import { type BenchResult, callTool, note, ratioResult, signedGetText, valueResult } from "./lib.js";
import { lastFullListing } from "./list.js";
import type { BenchEnv } from "./setup.js";

/** Bytes the host hands the model: text items as text, anything else (resource links…) as JSON. */
export function resultBytes(result: CallToolResult): { contentBytes: number; structuredBytes: number } {
  let contentBytes = 0;
  for (const item of result.content) {
    contentBytes += Buffer.byteLength(item.type === "text" ? item.text : JSON.stringify(item));
  }
  const structuredBytes = result.structuredContent
    ? Buffer.byteLength(JSON.stringify(result.structuredContent))
    : 0;
  return { contentBytes, structuredBytes };
}

/** The raw API JSON of one folder, page by page at per_page=100, and how many entries it held. */
async function rawListingBytes(env: BenchEnv, folderId: number, maxEntries: number) {
  let bytes = 0;
  let entries = 0;
  let page: number | null = 1;
  while (page !== null && entries < maxEntries) {
    const body = await signedGetText(env.sandbox, "/files", { parent_id: folderId, page, per_page: 100 });
    const parsed = JSON.parse(body) as { files?: unknown[]; next_page?: number | null };
    bytes += Buffer.byteLength(body);
    entries += parsed.files?.length ?? 0;
    page = parsed.next_page ?? null;
  }
  return { bytes, entries };
}

/** What one kind of host hands its model per listed entry, and that against the raw API JSON. */
function hostView(bytesPerEntry: number, rawPerEntry: number) {
  return { bytesPerEntry, ratio: bytesPerEntry / rawPerEntry };
}

/** The listed entries (rows of list_files' entries table). */
function listedEntries(result: CallToolResult) {
  return tableRows((result.structuredContent as { entries?: unknown } | undefined)?.entries);
}

/** Tokens the model pays per listed entry in each form, and how many of them are the names. */
function tokensPerEntry(result: CallToolResult) {
  const entries = listedEntries(result);
  if (entries.length === 0) throw new Error("list_files returned no entries");
  const text = result.content
    .map((item) => (item.type === "text" ? item.text : JSON.stringify(item)))
    .join("\n");
  const names = entries.reduce((sum, entry) => sum + countTokens(JSON.stringify(entry.name ?? "")), 0);
  return {
    listed: entries.length,
    text: countTokens(text) / entries.length,
    structured: countTokens(JSON.stringify(result.structuredContent)) / entries.length,
    // A name costs what it costs in any form: the rest is what the server chose.
    names: names / entries.length,
  };
}

/** SPEC aims < 30 tokens per listed entry, in the form each host hands its model. */
function tokenResults(name: string, result: CallToolResult, baseline: string): BenchResult[] {
  const tokens = tokensPerEntry(result);
  note(
    `${name}: tokens per entry — text ${tokens.text.toFixed(1)}, structured ${tokens.structured.toFixed(1)} ` +
      `(of which the name ${tokens.names.toFixed(1)}); ${baseline}`,
  );
  const form = (label: string, value: number, host: string) =>
    valueResult({
      name: `${name} tokens, ${label}`,
      label: host,
      value,
      unit: "tokens/entry",
      digits: 1,
      comparison: "<",
      target: 30,
      details: { listedEntries: tokens.listed, nameTokensPerEntry: tokens.names, baseline },
    });
  return [
    form("text", tokens.text, "Claude Desktop, claude.ai, Cursor, ChatGPT"),
    form("structured", tokens.structured, "Claude Code"),
  ];
}

function contextResult(
  env: BenchEnv,
  name: string,
  result: CallToolResult,
  raw: { bytes: number; entries: number },
  extra: Record<string, unknown>,
): BenchResult {
  const listed = listedEntries(result).length;
  if (listed === 0) throw new Error(`${name}: list_files returned no entries`);
  const { contentBytes, structuredBytes } = resultBytes(result);
  const toolPerEntry = (contentBytes + structuredBytes) / listed;
  const rawPerEntry = raw.bytes / raw.entries;
  const textOnly = hostView(contentBytes / listed, rawPerEntry);
  const structuredOnly = hostView(structuredBytes / listed, rawPerEntry);
  note(
    `${name}: content ${contentBytes} B + structured ${structuredBytes} B over ${listed} entries; ` +
      `raw ${raw.bytes} B over ${raw.entries} entries; the model gets per entry ` +
      `text only ${textOnly.bytesPerEntry.toFixed(0)} B = ${textOnly.ratio.toFixed(2)} of raw ` +
      `(Claude Desktop, claude.ai, Cursor, ChatGPT) or structured only ` +
      `${structuredOnly.bytesPerEntry.toFixed(0)} B = ${structuredOnly.ratio.toFixed(2)} of raw (Claude Code)`,
  );
  return ratioResult({
    name,
    measuredLabel: "tool",
    baselineLabel: "raw API JSON",
    value: toolPerEntry,
    baseline: rawPerEntry,
    unit: "B/entry",
    digits: 0,
    comparison: "<=",
    target: 0.3,
    details: {
      listedEntries: listed,
      contentBytes,
      structuredBytes,
      contentBytesPerEntry: contentBytes / listed,
      structuredBytesPerEntry: structuredBytes / listed,
      // Claude Desktop, claude.ai, Cursor, ChatGPT: the content items.
      textOnly,
      // Claude Code: JSON.stringify(structuredContent), the text dropped.
      structuredOnly,
      rawBytes: raw.bytes,
      rawEntries: raw.entries,
      rawShape: env.sandbox.shape,
      ...extra,
    },
  });
}

export async function benchContext(env: BenchEnv): Promise<BenchResult[]> {
  const count = env.options.listEntries;
  const folderId = await env.listFolder();
  const server = await env.server();

  // The call an agent makes most: one folder, default limit (a 100-entry page).
  const page = await callTool(server.client, "list_files", { parent_id: folderId });
  const rawPage = await rawListingBytes(env, folderId, 100);
  const rawPageTokens = countTokens(
    await signedGetText(env.sandbox, "/files", { parent_id: folderId, page: 1, per_page: 100 }),
  );
  const results = [
    contextResult(env, "context per entry (default page)", page.result, rawPage, {
      call: "list_files {parent_id}",
    }),
    ...tokenResults(
      "default page",
      page.result,
      `raw API JSON ${(rawPageTokens / rawPage.entries).toFixed(1)} tokens/entry`,
    ),
  ];

  // The whole folder in one call (the list bench's call, or the same call made here).
  const full =
    lastFullListing ?? (await callTool(server.client, "list_files", { parent_id: folderId, limit: count }));
  const rawFull = await rawListingBytes(env, folderId, count);
  results.push(
    contextResult(env, `context per entry (${count.toLocaleString("en-US")} listing)`, full.result, rawFull, {
      call: `list_files {parent_id, limit: ${count}}`,
    }),
  );

  // A recursive listing of a nested tree: entries below the listed folder name it by parent_id.
  const org = env.sandbox.generateOrganization({ name: "Context tree", entries: 400, folders: 60, seed: 3 });
  const walked = await callTool(server.client, "list_files", {
    parent_id: org.folderId,
    recursive: true,
    max_depth: 5,
  });
  results.push(...tokenResults("recursive listing", walked.result, "100 entries over 5 levels"));

  // Session recordings: each names the machine it ran on (the listing names none).
  env.sandbox.generateOrganization({
    layout: "sessions",
    parentId: env.sandbox.recordingsRootId(),
    machineId: SEED.stoppedMachineId,
    folders: 120,
    seed: 5,
  });
  const recordings = await callTool(server.client, "list_files", { location: "recordings" });
  results.push(...tokenResults("recordings page", recordings.result, "session folders with machine_id"));
  return results;
}
