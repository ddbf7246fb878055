// Human-readable sizes, shared by error texts, tool renderings and the sandbox's messages.

/** 512 → "512 bytes", 1536 → "1.5 KB", 26843545600 → "25 GB" (binary units); unknown → "". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "";
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? countOf(bytes, "byte") : `${value.toFixed(value >= 10 ? 0 : 1)} ${units[unit]}`;
}

/** 1 → "1 entry", 1234 → "1,234 entries": the one place a count meets its noun. */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? singular : plural}`;
}
