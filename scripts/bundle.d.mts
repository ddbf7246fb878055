export declare const BUNDLE_PATH: string;
export declare function drawIcon(size?: number): Buffer;
export declare function buildBundle(options?: { outputPath?: string }): Promise<{
  manifest: Record<string, unknown> & { version: string; tools: { name: string }[] };
  bytes: number;
  sha256: string;
  serverJsonPath: string;
}>;
