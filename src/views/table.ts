// Tables as the server sends them (src/mcp/kit/table.ts: `{columns, rows, exceptions}`) back as
// records for the views: each row's columns by name, its exceptions merged in, and the two
// fields the views need that tables leave to their columns: kind (a folder's path ends in "/",
// or its size is null) and name (a path's last part). Pure: the tests read tables with it too.

export type TableRecord = Record<string, unknown> & {
  id?: number;
  name?: string;
  kind?: "file" | "directory";
  path?: string | null;
  size?: number | null;
  modified?: string | null;
};

interface TableLike {
  columns: string[];
  rows: unknown[][];
  exceptions?: Record<string, Record<string, unknown>>;
}

function isTable(value: unknown): value is TableLike {
  return (
    typeof value === "object" &&
    value !== null &&
    Array.isArray((value as TableLike).columns) &&
    Array.isArray((value as TableLike).rows)
  );
}

/** The rows of `table` as records; [] for anything that is not a table. */
export function tableRows(table: unknown): TableRecord[] {
  if (!isTable(table)) return [];
  const { columns } = table;
  // Rows are named in exceptions by id, else by path (zip members), else by name (a machine's disk).
  const keyColumn = ["id", "path", "name"].find((column) => columns.includes(column)) ?? "";
  // Found entries (find_files, storage_usage, delete_files): a folder's path ends in "/".
  const foundPaths = columns.includes("path") && columns.includes("id");
  return table.rows.map((row) => {
    const record: TableRecord = {};
    columns.forEach((column, index) => {
      record[column] = row[index] ?? null;
    });
    const key = String(record[keyColumn]);
    if (foundPaths && typeof record.path === "string" && record.path.endsWith("/")) {
      record.kind = "directory";
      record.path = record.path.slice(0, -1);
    } else if (foundPaths && !columns.includes("bytes")) {
      record.kind = "file";
    } else if (columns.includes("id") && !columns.includes("kind") && columns.includes("size")) {
      record.kind = record.size === null ? "directory" : "file";
    }
    if (!columns.includes("name") && foundPaths && typeof record.path === "string") {
      record.name = record.path.split("/").at(-1) ?? record.path;
    }
    const extra = table.exceptions?.[key];
    return extra ? { ...record, ...extra } : record;
  });
}
