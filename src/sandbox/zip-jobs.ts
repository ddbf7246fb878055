// Zip download jobs (POST /files/download with several files, a folder or a task): pending for
// pendingMs, processing for processingMs, then a real zip is streamed from the stored objects
// to disk and published as an S3 object. Expire 24 h after creation.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";
import type { Logger } from "../log.js";
import type { ObjectStore } from "./s3.js";
import type { SandboxState } from "./state.js";
import type { SandboxJob, SandboxJobStatus } from "./types.js";

export const JOB_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** Deflate small files only: big ones (videos, benchmarks) would spend seconds of CPU for nothing. */
const COMPRESS_LIMIT_BYTES = 8 * 1024 * 1024;

export interface ZipInput {
  entryId: number;
  /** Path inside the archive, "/"-separated. */
  zipPath: string;
  sizeBytes: number;
  modifiedAtMs: number;
}

export interface ZipPlan {
  /** Archive name, e.g. "Project Folder.zip". */
  name: string;
  files: ZipInput[];
  /** Folders without any file, kept so the tree looks like the original ("charts/"). */
  emptyDirectories: string[];
  /** Total bytes of the input files (what the API reports as `size`). */
  sizeBytes: number;
}

export interface JobRecord {
  downloadId: number;
  status: SandboxJobStatus;
  createdAtMs: number;
  expiresAtMs: number;
  plan: ZipPlan;
  objectKey: string | null;
  failureReason: string | null;
  timers: Set<NodeJS.Timeout>;
  /** The archive is being written (or was): processing ends when it is done. */
  zipStarted: boolean;
  /** Settles when the archive is written, or failed, or was cancelled (null until it starts). */
  zipped: Promise<void> | null;
  cancelZip: (() => void) | null;
}

export interface ZipJobOptions {
  state: SandboxState;
  store: ObjectStore;
  zipDir: string;
  pendingMs: number;
  processingMs: number;
  clock: () => number;
  logger: Logger;
}

export class ZipJobs {
  private readonly jobs = new Map<number, JobRecord>();
  private nextDownloadId = 5085;
  private closed = false;

  constructor(private readonly options: ZipJobOptions) {}

  start(plan: ZipPlan): JobRecord {
    const createdAtMs = this.options.clock();
    const job: JobRecord = {
      downloadId: this.nextDownloadId++,
      status: "pending",
      createdAtMs,
      expiresAtMs: createdAtMs + JOB_LIFETIME_MS,
      plan,
      objectKey: null,
      failureReason: null,
      timers: new Set(),
      zipStarted: false,
      zipped: null,
      cancelZip: null,
    };
    this.jobs.set(job.downloadId, job);
    // The phases follow the sandbox's clock, so a test that injects one sees each phase exactly
    // when it moves the clock there, however loaded the machine. Real timers only nudge a job on
    // at its deadlines when nobody polls; every read advances it too.
    this.nudgeAt(job, this.options.pendingMs);
    this.nudgeAt(job, this.options.pendingMs + this.options.processingMs);
    return job;
  }

  /** Moves a job to the phase the clock says it is in, starting the zip when processing is over. */
  private advance(job: JobRecord): void {
    if (this.closed || (job.status !== "pending" && job.status !== "processing")) return;
    const elapsedMs = this.options.clock() - job.createdAtMs;
    if (job.status === "pending" && elapsedMs >= this.options.pendingMs) job.status = "processing";
    if (
      job.status === "processing" &&
      !job.zipStarted &&
      elapsedMs >= this.options.pendingMs + this.options.processingMs
    ) {
      this.startZip(job);
    }
  }

  private startZip(job: JobRecord): Promise<void> {
    job.zipStarted = true;
    job.zipped = this.zip(job).catch((error: unknown) => {
      this.options.logger.error("sandbox zip job crashed", { error: String(error) });
      if (job.status === "processing") job.status = "failed";
    });
    return job.zipped;
  }

  /** A job that exists and has not expired. Expired jobs are forgotten, their archive removed. */
  get(downloadId: number): JobRecord | undefined {
    const job = this.jobs.get(downloadId);
    if (!job) return undefined;
    if (this.options.clock() >= job.expiresAtMs) {
      this.stop(job);
      this.jobs.delete(downloadId);
      if (job.objectKey) this.options.store.deleteObject(job.objectKey);
      return undefined;
    }
    this.advance(job);
    return job;
  }

  /** Pending or processing → cancelled; returns false when the job had already finished. */
  abort(job: JobRecord): boolean {
    if (job.status !== "pending" && job.status !== "processing") return false;
    job.status = "cancelled";
    this.stop(job);
    return true;
  }

  /**
   * Skips what is left of a job's pending and processing delays: it zips now. Tests hold a job
   * with long delays and release it at the moment their story needs.
   */
  release(job: JobRecord): Promise<void> {
    if ((job.status !== "pending" && job.status !== "processing") || job.zipStarted) {
      return job.zipped ?? Promise.resolve();
    }
    for (const timer of job.timers) clearTimeout(timer);
    job.timers.clear();
    job.status = "processing";
    return this.startZip(job);
  }

  toPublic(job: JobRecord): SandboxJob {
    return {
      downloadId: job.downloadId,
      status: job.status,
      sizeBytes: job.plan.sizeBytes,
      expiresAt: new Date(job.expiresAtMs).toISOString(),
    };
  }

  close(): void {
    this.closed = true;
    for (const job of this.jobs.values()) this.stop(job);
  }

  /**
   * Advances the job once `offsetMs` after its creation has come. A timer may fire a millisecond
   * before Date.now agrees, so one that is just short tries again; an injected clock far behind
   * is left to the test that moves it.
   */
  private nudgeAt(job: JobRecord, offsetMs: number): void {
    const remainingMs = job.createdAtMs + offsetMs - this.options.clock();
    const timer = setTimeout(
      () => {
        job.timers.delete(timer);
        if (this.closed) return;
        this.advance(job);
        const shortMs = job.createdAtMs + offsetMs - this.options.clock();
        if (shortMs > 0 && shortMs <= 5) this.nudgeAt(job, offsetMs);
      },
      Math.max(0, remainingMs),
    );
    job.timers.add(timer);
  }

  private stop(job: JobRecord): void {
    for (const timer of job.timers) clearTimeout(timer);
    job.timers.clear();
    job.cancelZip?.();
    job.cancelZip = null;
  }

  private async zip(job: JobRecord): Promise<void> {
    const { state, store, zipDir } = this.options;
    await mkdir(zipDir, { recursive: true });
    const zipPath = join(zipDir, `${job.downloadId}-${randomUUID()}.zip`);
    const zipFile = new yazl.ZipFile();
    const abort = new AbortController();
    // The input being read right now, so a cancel can close its file at once.
    const reading: { input: Readable | null } = { input: null };
    job.cancelZip = () => {
      abort.abort();
      reading.input?.destroy();
    };

    const output = zipFile.outputStream as Readable;
    // Errors of the lazy inputs surface on the ZipFile (possibly synchronously, while entries
    // are added); fail the output so the pipeline stops.
    zipFile.on("error", (error: Error) => output.destroy(error));
    for (const input of job.plan.files) {
      const options = {
        size: input.sizeBytes,
        compress: input.sizeBytes <= COMPRESS_LIMIT_BYTES,
        mtime: new Date(input.modifiedAtMs),
      };
      zipFile.addReadStreamLazy(input.zipPath, options, (callback) => {
        const entry = state.liveEntry(input.entryId);
        const object = entry?.objectKey ? store.objects.get(entry.objectKey) : undefined;
        if (!object) {
          callback(new Error(`${input.zipPath} was deleted before it could be zipped`), undefined as never);
          return;
        }
        const stream = store.openRange(object, 0, object.sizeBytes - 1);
        reading.input = stream;
        callback(null, stream);
      });
    }
    for (const directory of job.plan.emptyDirectories) zipFile.addEmptyDirectory(directory);
    zipFile.end();

    try {
      await pipeline(output, createWriteStream(zipPath), { signal: abort.signal });
      const { size } = await stat(zipPath);
      if (job.status !== "processing") throw new Error("job no longer processing");
      const key = `temp_files/${randomUUID()}/${encodeURIComponent(job.plan.name)}`;
      store.adoptFile(key, zipPath, size, "application/zip", job.plan.name);
      job.objectKey = key;
      job.status = "uploaded";
    } catch (error) {
      reading.input?.destroy();
      await rm(zipPath, { force: true });
      if (job.status === "processing" && !this.closed) {
        job.status = "failed";
        job.failureReason = error instanceof Error ? error.message : String(error);
      }
    } finally {
      job.cancelZip = null;
    }
  }
}
