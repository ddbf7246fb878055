// The public face of the embedded Vagon sandbox: what `--sandbox`, the tests and the
// benchmarks rely on. The sandbox implements the API the client speaks; it never imports
// the client (src/vagon) nor anything of MCP.
import type { Logger } from "../log.js";

export type ResponseShape = "jsonapi" | "flat";

/** Route names used for fault injection and the request log. */
export type SandboxRoute =
  | "list-content"
  | "list-files"
  | "list-recordings"
  | "list-machine-files"
  | "create"
  | "complete"
  | "delete"
  | "download"
  | "download-status"
  | "download-abort"
  | "s3-put"
  | "s3-get";

export interface FaultRates {
  /** Probability (0..1) of answering 500/502/503 instead of serving. */
  error5xx?: number;
  /** Probability of answering 429 with Retry-After. */
  rateLimit429?: number;
  retryAfterSeconds?: number;
  /** Probability of destroying the socket without an answer. */
  drop?: number;
  /** Probability of delaying the answer by latencyMs. */
  latency?: number;
  latencyMs?: number;
  /** s3-get only: probability of sending headers with the full Content-Length, then cutting the body short. */
  truncate?: number;
}

/**
 * A fault aimed at particular requests rather than drawn at random: the first `times`
 * requests that match get it. Tests use it to break exactly one file or one byte range.
 */
export interface ScriptedFault {
  route: SandboxRoute;
  /** Only requests whose path contains this (S3 paths end with the object's file name). */
  pathIncludes?: string;
  /** s3-get only: only requests whose Range header starts at this byte. */
  rangeStart?: number;
  /**
   * forbidden = S3's 403 AccessDenied (or the API's 403): not worth a retry. stall = hold the
   * request unanswered until the client gives up or the sandbox closes. lostAnswer (API routes)
   * = carry the request out, then cut the connection before the answer, as a reset or a proxy's
   * 502 after the work was done looks to the client.
   */
  fault: "error5xx" | "rateLimit429" | "drop" | "truncate" | "forbidden" | "stall" | "lostAnswer";
  /** How many matching requests get the fault; default 1. */
  times?: number;
}

export interface FaultConfig {
  /** Seed for the deterministic random source (same seed, same faults). */
  seed?: number;
  /** Per-route rates; "*" applies to every route without its own entry. */
  routes: Partial<Record<SandboxRoute | "*", FaultRates>>;
  /** Checked before the random rates; each is used up after `times` hits. */
  scripted?: ScriptedFault[];
}

export interface SandboxOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  shape?: ResponseShape;
  apiKey?: string;
  apiSecret?: string;
  /** Where object bytes live; default a fresh temp folder removed on close(). */
  dataDir?: string;
  /** Zip job timing: pending for pendingMs, then processing for processingMs, then uploaded. */
  zipJob?: { pendingMs?: number; processingMs?: number };
  /** Default true. */
  multipleFileDownload?: boolean;
  /** Organization shared storage quota in bytes (machines have their own, same default). */
  storageQuotaBytes?: number;
  /** Default true: the believable organization in seed.ts. */
  seed?: boolean;
  faults?: FaultConfig | null;
  /** Lifetime of presigned URLs; default 3600 s (download job URLs: until the job expires). */
  presignTtlSeconds?: number;
  /**
   * Per-connection throughput cap for presigned object GETs and part PUTs, in bytes per second,
   * as real S3 caps each connection (tens of MB/s); default none. Changeable with setBandwidthCap.
   */
  connectionBytesPerSecond?: number | null;
  /** Where the sandbox reports unexpected failures (a handler that threw); default silent. */
  logger?: Logger;
  /**
   * Wall clock in ms since the epoch; default Date.now. Tests move it forward to expire
   * signatures, presigned URLs and 24 h zip jobs without waiting. Job phase timers stay real.
   */
  clock?: () => number;
}

export interface RecordedRequest {
  method: string;
  route: SandboxRoute | "unknown";
  path: string;
  status: number;
  /** Vagon body client_code when it differs from the HTTP status. */
  clientCode: number | null;
  fault: keyof FaultRates | "forbidden" | "lostAnswer" | null;
}

export interface SandboxEntry {
  id: number;
  name: string;
  kind: "file" | "directory" | "root";
  parentId: number | null;
  machineId: number | null;
  sizeBytes: number;
  contentType: string;
  status: "pending_upload" | "upload_completed";
  deleted: boolean;
}

export type SandboxJobStatus = "pending" | "processing" | "uploaded" | "failed" | "cancelled";

export interface SandboxJob {
  downloadId: number;
  status: SandboxJobStatus;
  sizeBytes: number;
  expiresAt: string;
}

export interface Sandbox {
  /** Base URL to use as VAGON_API_URL, e.g. http://127.0.0.1:41234/organization-management/v1 */
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  shape: ResponseShape;
  setFaults(faults: FaultConfig | null): void;
  /** Per-connection S3 throughput cap in bytes per second; null = none. */
  setBandwidthCap(bytesPerSecond: number | null): void;
  /** Every request served (API and S3), oldest first. */
  readonly requests: RecordedRequest[];
  clearRequests(): void;

  addDirectory(input: { parentId: number; name: string; machineId?: number | null }): number;
  addFile(input: {
    parentId: number;
    name: string;
    content: string | Buffer;
    contentType?: string;
    machineId?: number | null;
  }): Promise<number>;
  /**
   * A completed file whose bytes are a file already on disk, used in place (not copied): for
   * multi-GB benchmark data. The file must stay until the sandbox is closed.
   */
  addFileFromDisk(input: {
    parentId: number;
    name: string;
    path: string;
    contentType?: string;
  }): Promise<number>;
  /**
   * A large generated tree (default 50,000 entries in 2,000 folders, declared sizes) in a new
   * folder under parentId; the same seed gives the same tree.
   */
  generateOrganization(input?: {
    /** "sessions": session folders (recording + log) directly in parentId, e.g. the recordings root. */
    layout?: "tree" | "sessions";
    parentId?: number;
    /** The machine whose storage parentId 0 means; in the recordings tree, the sessions' machine. */
    machineId?: number | null;
    name?: string;
    entries?: number;
    folders?: number;
    seed?: number;
  }): { folderId: number; files: number; folders: number; bytes: number };
  getEntry(id: number): SandboxEntry | undefined;
  /** Live (not deleted) children of a folder. */
  children(parentId: number): SandboxEntry[];
  /** Root folder id of a location: shared (machineId null) or a machine's storage. */
  rootId(machineId?: number | null): number;
  recordingsRootId(): number;
  /**
   * Body bytes its presigned GETs have sent of a file's object so far (ranged or not, truncated
   * ones included), so a test can check how much of a file a reader fetched.
   */
  servedBytes(id: number): number;
  /** Presigned GETs of a file's object still sending their body: 0 once every reader let go. */
  readsInFlight(id: number): number;
  /** Bytes of a completed file, read from disk (tests only: small files). */
  readFile(id: number): Promise<Buffer>;
  getJob(downloadId: number): SandboxJob | undefined;
  /**
   * Ends a zip job's pending/processing delays now (tests hold jobs with long delays); settles
   * when its archive is written (or failed), so a test can go on without waiting by the clock.
   */
  releaseZipJob(downloadId: number): Promise<void>;
  setMachineRunning(machineId: number, running: boolean): void;
  setMultipleFileDownload(enabled: boolean): void;
  setStorageQuota(bytes: number, machineId?: number | null): void;
  close(): Promise<void>;
}
