// Lists of entries as the model receives them (SPEC §2): a table, `{columns, rows}`, not an
// array of objects: a row costs the model a third of an object with keys. The columns are fixed
// per tool and stated in its outputSchema; a column carries only what varies. A field of the
// entry that is not a column is derived by the rule the outputSchema states (its `derive`), and
// a row whose field differs from that rule says so in `exceptions` (by the row's key), so a
// table is lossless against the answer it was built from. Every listing tool builds its table
// here: one mechanism.
import { z } from "zod";

export type Cell = string | number | boolean | null;

export interface Table {
  columns: string[];
  rows: Cell[][];
  /** Per row key: the fields that differ from what the outputSchema derives for that row. */
  exceptions?: Record<string, Record<string, unknown>>;
  /** Tables of stored entries: content types by extension where not the standard ones (compact.ts). */
  content_types?: Record<string, string | null>;
}

/** A field of the items that is not a column: its value, and the value the outputSchema derives. */
export interface Derived<Item> {
  actual(item: Item): unknown;
  derive(item: Item): unknown;
}

export interface TableSpec<Item> {
  /** Column name → the cell of an item. */
  columns: Record<string, (item: Item) => Cell>;
  /** Field name → how it follows from the row (said in `exceptions` when it doesn't). */
  derived?: Record<string, Derived<Item>>;
  /** The key a row is named by in `exceptions` (its id, or its name where there is none). */
  key?(item: Item): string | number;
}

/** Items as a table: one row each, in order. */
export function toTable<Item>(spec: TableSpec<Item>, items: readonly Item[]): Table {
  const cells = Object.values(spec.columns);
  const rows = items.map((item) => cells.map((cell) => cell(item)));
  const table: Table = { columns: Object.keys(spec.columns), rows };
  const exceptions: Record<string, Record<string, unknown>> = {};
  let any = false;
  for (const item of items) {
    for (const [field, rule] of Object.entries(spec.derived ?? {})) {
      const actual = rule.actual(item);
      if (Object.is(actual, rule.derive(item))) continue;
      const key = String(spec.key?.(item) ?? "");
      exceptions[key] ??= {};
      (exceptions[key] as Record<string, unknown>)[field] = actual;
      any = true;
    }
  }
  if (any) table.exceptions = exceptions;
  return table;
}

/**
 * The outputSchema of a table: its columns as a fixed tuple, each row's cells typed, and the
 * exceptions' fields. `columns`: name → cell schema (its description says what the cell holds).
 */
export function tableSchema(
  columns: Record<string, z.ZodType>,
  options: {
    description: string;
    exceptions?: z.ZodRawShape;
    /** Fields of the table beside columns and rows (content_types). */
    extra?: z.ZodRawShape;
    /** The column lists the table may have, when not exactly `columns` (list_files: recursive adds one). */
    columnSets?: string[][];
  },
) {
  const names = Object.keys(columns);
  const columnTuple = (set: string[]) =>
    z.tuple(set.map((name) => z.literal(name)) as unknown as [z.ZodLiteral<string>]);
  const sets = options.columnSets ?? [names];
  const rowOf = (set: string[]) => z.tuple(set.map((name) => columns[name]!) as unknown as [z.ZodType]);
  const described = Object.entries(columns)
    .map(([name, schema]) => (schema.description ? `${name}: ${schema.description}` : null))
    .filter(Boolean)
    .join(" ");
  return z
    .object({
      columns:
        sets.length === 1
          ? columnTuple(sets[0]!)
          : z.union(sets.map(columnTuple) as unknown as [z.ZodType, z.ZodType]),
      rows: z.array(
        sets.length === 1 ? rowOf(sets[0]!) : z.union(sets.map(rowOf) as unknown as [z.ZodType, z.ZodType]),
      ),
      ...(options.exceptions
        ? {
            exceptions: z
              .record(z.string(), z.object(options.exceptions).partial().strict())
              .optional()
              .describe("By row key: the fields of that row that differ from what is derived for it."),
          }
        : {}),
      ...options.extra,
    })
    .strict()
    .describe(`${options.description} ${described}`.trim());
}
