// The shared filter of find_files and delete_files: one input schema, and its parsing into a
// predicate on entries. Ages and sizes are parsed here, with errors that show an accepted form.
import { z } from "zod";
import type { Entry } from "../../vagon/types.js";
import { UserInputError } from "../kit/errors.js";
import * as params from "../kit/params.js";
import { compileGlob } from "./glob.js";

const MINUTE_MS = 60_000;
const AGE_UNIT_MS: Record<string, number> = {
  m: MINUTE_MS,
  h: 60 * MINUTE_MS,
  d: 24 * 60 * MINUTE_MS,
  w: 7 * 24 * 60 * MINUTE_MS,
};

// Binary units, as every size this server prints (1 MB = 1,048,576 bytes).
const SIZE_UNIT_BYTES: Record<string, number> = {
  "": 1,
  b: 1,
  byte: 1,
  bytes: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

// Bounds and forms are checked by the parsers below, whose errors show an accepted form.
const when = z.string();
const size = z.union([z.number(), z.string()]);

/** The filter inputs, described once and briefly: find_files and delete_files spread this. */
export const filterShape = {
  location: params.location,
  machine_id: params.machineId.optional().describe("Required for location 'machine'."),
  parent_id: params.parentId.describe("Start folder; 0 = root (default)."),
  name: z.string().max(255).optional().describe("Glob on the name, any case: *.mp4, rec-*"),
  kind: z.enum(["file", "directory"]).optional().describe("Only files or only folders."),
  modified_before: when.optional().describe("Older than: 30d, 12h, 90m, 2w or an ISO date."),
  modified_after: when.optional().describe("Newer than: same forms."),
  min_size: size.optional().describe("Bytes, or 500MB, 2GiB."),
  max_size: size.optional().describe("Bytes, or 500MB, 2GiB."),
  max_depth: z.number().int().min(0).max(20).default(20).describe("Levels below parent_id (default 20)."),
};

export type FilterArgs = {
  location: "shared" | "machine" | "recordings";
  machine_id?: number | undefined;
  parent_id: number;
  name?: string | undefined;
  kind?: "file" | "directory" | undefined;
  modified_before?: string | undefined;
  modified_after?: string | undefined;
  min_size?: number | string | undefined;
  max_size?: number | string | undefined;
  max_depth: number;
};

/** The fields that narrow a set (location, parent_id and depth only say where to look). */
export const CRITERIA = [
  "name",
  "kind",
  "modified_before",
  "modified_after",
  "min_size",
  "max_size",
] as const;

export interface EntryFilter {
  /** True when at least one criterion was given. */
  narrowed: boolean;
  matches(entry: Pick<Entry, "name" | "kind" | "size" | "modified">): boolean;
  /** "name *.mp4, older than 30d": for texts. */
  describe(): string;
}

/** "30d" → the instant 30 days before `nowMs`; "2026-11-01" → that instant. */
export function parseInstant(field: string, value: string, nowMs: number): number {
  const text = value.trim().slice(0, 64);
  const age = /^(\d+(?:\.\d+)?)\s*([mhdw])$/i.exec(text);
  if (age) return nowMs - Number(age[1]) * (AGE_UNIT_MS[(age[2] ?? "d").toLowerCase()] ?? 0);
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text)) {
    const instantMs = Date.parse(text.replace(" ", "T"));
    if (!Number.isNaN(instantMs)) return instantMs;
  }
  // The form tables write instants in (instant.ts), copied back from a result ("GMT": as earlier
  // versions wrote them).
  if (/^\d{1,2} [a-z]{3} \d{4} \d{2}:\d{2}(:\d{2})? (GMT|UTC?|Z)$/i.test(text)) {
    const instantMs = Date.parse(text);
    if (!Number.isNaN(instantMs)) return instantMs;
  }
  throw new UserInputError(
    `${field} '${value}' is not an age or a date — write 30d (also 90m, 12h, 2w) or 2026-11-01 (or 2026-11-01T08:00:00Z).`,
  );
}

/** 500 → 500; "500MB" → 524288000; "2GiB" → 2147483648. */
export function parseSize(field: string, value: number | string): number {
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw new UserInputError(
      `${field} ${value} is not a size — write whole bytes (1048576) or a string: 500MB, 2GiB.`,
    );
  }
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = SIZE_UNIT_BYTES[(match?.[2] ?? "?").toLowerCase()];
  if (!match || unit === undefined) {
    throw new UserInputError(
      `${field} '${value}' is not a size — write bytes (1048576) or a number with a unit: 500MB, 2GiB, 10KB.`,
    );
  }
  return Math.round(Number(match[1]) * unit);
}

export async function buildFilter(args: FilterArgs, nowMs: number): Promise<EntryFilter> {
  const before = args.modified_before ? parseInstant("modified_before", args.modified_before, nowMs) : null;
  const after = args.modified_after ? parseInstant("modified_after", args.modified_after, nowMs) : null;
  const minSize = args.min_size !== undefined ? parseSize("min_size", args.min_size) : null;
  const maxSize = args.max_size !== undefined ? parseSize("max_size", args.max_size) : null;
  const nameGlob = args.name ? compileGlob(args.name, { nocase: true }) : null;
  const sized = minSize !== null || maxSize !== null;
  const parts: string[] = [];
  if (args.name) parts.push(`name ${args.name}`);
  if (args.kind) parts.push(args.kind === "file" ? "files" : "folders");
  if (args.modified_before) parts.push(`modified before ${args.modified_before}`);
  if (args.modified_after) parts.push(`modified after ${args.modified_after}`);
  if (minSize !== null) parts.push(`at least ${args.min_size}`);
  if (maxSize !== null) parts.push(`at most ${args.max_size}`);
  return {
    narrowed: parts.length > 0,
    describe: () => parts.join(", ") || "everything",
    matches(entry) {
      if (args.kind && entry.kind !== args.kind) return false;
      if (nameGlob && !nameGlob.test(entry.name)) return false;
      if (before !== null || after !== null) {
        const modifiedMs = entry.modified ? Date.parse(entry.modified) : Number.NaN;
        if (Number.isNaN(modifiedMs)) return false;
        if (before !== null && !(modifiedMs < before)) return false;
        if (after !== null && !(modifiedMs > after)) return false;
      }
      // A folder's own size says nothing of its contents: size criteria select files.
      if (sized) {
        if (entry.kind !== "file" || entry.size === null) return false;
        if (minSize !== null && entry.size < minSize) return false;
        if (maxSize !== null && entry.size > maxSize) return false;
      }
      return true;
    },
  };
}

/** The walk a filter asks for: where it starts and how deep it goes. */
export function filterScope(args: FilterArgs) {
  if (args.location === "machine" && args.machine_id === undefined) {
    throw new UserInputError(params.MACHINE_ID_NEEDED);
  }
  return {
    location: args.location,
    machineId: args.location === "shared" ? undefined : args.machine_id,
    parentId: args.parent_id,
    maxDepth: args.max_depth,
  };
}
