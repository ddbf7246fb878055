export declare const VIEW_NAMES: string[];
export declare function buildViews(
  outdir: string,
  options?: { minify?: boolean },
): Promise<{ sizes: Record<string, { bytes: number; gzipBytes: number }>; inputs: string[] }>;
