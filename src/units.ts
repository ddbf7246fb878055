// Human-readable sizes, shared by error texts, tool renderings and the sandbox's messages.

/**
 * 512 → "512 bytes", 1536 → "1.5 KB", 26843545600 → "25 GB" (binary units); unknown → "".
 * `compact`, for a column of a listing's lines (as `ls -h` writes it): "512B", "1.5K", "25G".
 */
export function formatBytes(bytes: number | null | undefined, options: { compact?: boolean } = {}): string {
  if (bytes === null || bytes === undefined) return "";
  const units = options.compact ? ["B", "K", "M", "G", "T"] : ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const number = unit === 0 ? String(bytes) : value.toFixed(value >= 10 ? 0 : 1);
  if (options.compact) return `${number}${units[unit]}`;
  return unit === 0 ? countOf(bytes, "byte") : `${number} ${units[unit]}`;
}

/**
 * 1234567 → "1,234,567", as en-US writes a count (integers; others rounded). Not
 * toLocaleString("en-US"): the first use of Intl maps ~7.5 MB of ICU locale data into the process
 * for good, a twelfth of a 50,000-entry find_files' peak memory (bench/housekeeping.ts).
 */
export function groupDigits(value: number): string {
  const rounded = Math.round(value);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+$)/g, ",");
  return rounded < 0 ? `-${digits}` : digits;
}

/** 1 → "1 entry", 1234 → "1,234 entries": the one place a count meets its noun. */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${groupDigits(count)} ${count === 1 ? singular : plural}`;
}
