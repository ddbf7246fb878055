export declare function compileLineFeeds(): Promise<string>;
export declare function lineFeedsModuleText(base64: string): string;
