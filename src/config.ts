// The configuration, as one zod-validated object. This is the single place the
// environment is read (loadConfig); everything else receives a Config.
import type { LogLevel } from "./log.js";

export type ResponseShape = "jsonapi" | "flat";

export interface Config {
  apiUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Local folders the server may read uploads from and write downloads to (absolute). */
  roots: string[];
  /** Default download folder; must lie inside a root. null = `<first root>/vagon-downloads`. */
  downloadDir: string | null;
  readOnly: boolean;
  logLevel: LogLevel;
  transport: "stdio" | "http";
  http: { host: string; port: number; token: string | null; stateless: boolean };
  sandbox: { enabled: boolean; shape: ResponseShape };
  /** Part uploads in flight at once. */
  uploadConcurrency: number;
}

// TODO(helper-5): export const DEFAULT_API_URL, loadConfig(argv, env) with zod, --help text.
