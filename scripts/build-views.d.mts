import type { Plugin } from "esbuild";

export declare const VIEW_NAMES: string[];
/** The esbuild plugin that slims the views' dependencies (see build-views.mjs). */
export declare const slimDependencies: Plugin;
export declare function buildViews(
  outdir: string,
  options?: { minify?: boolean },
): Promise<{ sizes: Record<string, { bytes: number; gzipBytes: number }>; inputs: string[] }>;
