// The one download flow behind download_files, download_task_bundle and get_download:
// a direct link or a zip job, waited for within wait_seconds with progress, then optionally
// saved atomically and extracted safely. A cancelled call aborts the job at Vagon.
import * as fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ResourceLink } from "@modelcontextprotocol/server";
import { removeCreatedFolders } from "../../empty-folders.js";
import { type ExtractResult, extractZip } from "../../local/extract.js";
import { freeFolderName, isStillItself } from "../../local/files.js";
import { markExtraction, sweepLeftovers } from "../../local/leftovers.js";
import { countOf, formatBytes, groupDigits } from "../../units.js";
import { type SavedFile, saveUrlToFile, waitForJob } from "../../vagon/download.js";
import type { DownloadJob, DownloadStart } from "../../vagon/types.js";
import type { ToolContext, ToolOutput } from "../kit/define-tool.js";
import { ToolError } from "../kit/errors.js";
import { expiryInstant, isoInstant } from "../kit/instant.js";
import { createProgress, type ProgressReporter } from "../kit/progress.js";
import { cappedLines } from "../listing/format.js";
import type { CheckedPath } from "../local-paths.js";
import type { DownloadResult } from "./shapes.js";

export interface DownloadTarget {
  /** Checked folder to save into; null = return the link only. */
  folder: CheckedPath | null;
  extract: boolean;
  /**
   * The caller named save_to and it was new or empty: extract right there, as they expect,
   * instead of into a sub-folder named after the zip.
   */
  extractInPlace: boolean;
  /** save_to was named (not the default download folder). */
  namedFolder: boolean;
  /** save_to as the caller wrote it, repeated in the hint to continue with get_download. */
  saveTo?: string | undefined;
  waitSeconds: number;
  /** The first folder that checking `folder` created (it didn't exist); null when none. */
  createdFolder: string | null;
}

/** resource_link items per result; the text names every file (up to its own cap). */
const MAX_LINKS = 20;

/**
 * Not read-only: with save_to the download tools write files locally (never overwriting), and
 * they start zip jobs at Vagon. Still offered in read-only mode, which is about changing Vagon Files.
 */
export const DOWNLOAD_ANNOTATIONS = { readOnlyHint: false, destructiveHint: false } as const;
/**
 * Progress of a download call is one scale, the same `total` in every notification: 100 units of
 * work, of which the zip job (when there is one) takes the first 10, the transfer the next (to 100,
 * or to 60 when extraction follows), extraction the rest. Messages say the real amounts.
 */
const WORK = 100;
const SHARE = { job: 10, transferEnd: 100, transferEndBeforeExtract: 60 };

/**
 * Checks save_to before anything is sent to Vagon. "" and extract without save_to mean the
 * default download folder; no save_to and no extract mean "just the link".
 */
async function resolveTarget(
  context: ToolContext,
  args: { save_to?: string | undefined; extract: boolean; wait_seconds: number },
): Promise<DownloadTarget> {
  const wantsDisk = args.save_to !== undefined || args.extract;
  let createdFolder: string | null = null;
  const folder = wantsDisk
    ? await context.paths.checkFolder(args.save_to || undefined, (created) => {
        createdFolder = created;
      })
    : null;
  const extractInPlace = args.extract && !!args.save_to && folder !== null && (await isEmptyFolder(folder));
  return {
    folder,
    extract: args.extract,
    extractInPlace,
    namedFolder: !!args.save_to,
    saveTo: args.save_to,
    waitSeconds: args.wait_seconds,
    createdFolder,
  };
}

/**
 * Checks the target, then runs the download into it. When the download fails or is cancelled,
 * the folders that checking the target created go again while they are empty: a failed call
 * leaves no empty folder behind, and never removes one that holds anything.
 */
export async function downloadInto(
  context: ToolContext,
  args: { save_to?: string | undefined; extract: boolean; wait_seconds: number },
  download: (target: DownloadTarget) => Promise<ToolOutput<DownloadResult>>,
): Promise<ToolOutput<DownloadResult>> {
  const target = await resolveTarget(context, args);
  try {
    return await download(target);
  } catch (error) {
    if (target.folder && target.createdFolder)
      await removeCreatedFolders(target.folder, target.createdFolder);
    throw error;
  }
}

/** True when `folder` holds nothing but (optionally) `except`. */
async function isEmptyFolder(folder: string, except?: string): Promise<boolean> {
  const names = await fs.readdir(folder);
  return names.every((name) => name === except);
}

/** Finishes what POST /files/download started: a direct link, or a zip job to follow. */
export async function finishDownload(
  context: ToolContext,
  start: DownloadStart,
  target: DownloadTarget,
): Promise<ToolOutput<DownloadResult>> {
  const progress = createProgress(context.extra);
  if (start.kind === "job" && context.principal !== undefined) {
    context.jobOwners?.record(start.downloadId, context.principal);
  }
  if (start.kind === "job") return followJob(context, start.downloadId, target, progress, start.name);

  const result: DownloadResult = {
    status: "ready",
    url: start.url,
    expires_at: presignedExpiry(start.url),
    name: start.name,
    size: start.sizeBytes,
  };
  if (!target.folder) {
    progress.finish("ready");
    return render(result);
  }
  const extract = target.extract && /\.zip$/i.test(start.name ?? "");
  const saved = await saveWithProgress(context, progress, {
    url: start.url,
    folder: target.folder,
    fileName: start.name ?? "download",
    expectedBytes: start.sizeBytes,
    extract,
  });
  if (extract) return extractSaved(context, progress, target, saved, result);
  progress.finish("saved");
  return render({ ...result, status: "saved", saved_to: saved.savedPath }, [fileLink(saved.savedPath)]);
}

/** Waits for a zip job within wait_seconds, then saves and extracts it when asked. */
export async function followJob(
  context: ToolContext,
  downloadId: number,
  target: DownloadTarget,
  progress: ProgressReporter = createProgress(context.extra),
  name: string | null = null,
): Promise<ToolOutput<DownloadResult>> {
  const { client, extra } = context;
  let job: DownloadJob;
  let polls = 0;
  try {
    job = await waitForJob({
      client,
      downloadId,
      timeoutMs: target.waitSeconds * 1000,
      signal: extra.signal,
      // A draining server answers with the resumable download_id rather than run past its bound.
      until: context.lifecycle.wrapUp,
      // Vagon's job size is the files' total, not the zip's: name it, don't use it as a total.
      onUpdate: (update) => {
        polls += 1;
        // The job's length is unknown: each look moves a little closer to the end of its share.
        const waited = SHARE.job * (1 - 0.85 ** polls);
        if (update.status === "pending") progress.report(waited, WORK, "queued");
        else if (update.status === "processing")
          progress.report(waited, WORK, `zipping ${formatBytes(update.sizeBytes) || "files"}`);
      },
    });
  } catch (error) {
    if (extra.signal.aborted) await abortQuietly(context, downloadId);
    throw error;
  }

  if (job.status === "failed") {
    throw new ToolError(
      `Vagon could not build zip job ${downloadId}. Start the download again; if it fails again, download the files one by one.`,
    );
  }
  if (job.status === "cancelled") {
    throw new ToolError(
      `Zip job ${downloadId} was cancelled, so there is nothing to download. Start the download again if you still need it.`,
    );
  }

  // Before the zip exists nothing names it: null rather than a guess.
  const knownName = name ?? zipNameFromLink(job.url);
  const zipName = knownName ?? `download-${downloadId}.zip`;
  const base: DownloadResult = {
    status: job.status,
    download_id: downloadId,
    expires_at: expiryInstant(job.expiresAt),
    name: job.url ? zipName : knownName,
    size: job.sizeBytes,
    ...(job.url ? { url: job.url } : {}),
  };
  if (job.status !== "uploaded" || !job.url) {
    // Not an error: the job goes on at Vagon, and get_download picks it up.
    base.status = job.status === "pending" ? "pending" : "processing";
    progress.finish(job.status === "pending" ? "still queued" : "still zipping");
    return render(base, [jobLink(downloadId)], continueCall(downloadId, target));
  }
  if (!target.folder) {
    progress.finish("ready");
    return render(base);
  }

  let saved: SavedFile;
  try {
    saved = await saveWithProgress(context, progress, {
      url: job.url,
      folder: target.folder,
      fileName: zipName,
      // The job's size is the files' total, not the zip's; the response's length is checked instead.
      expectedBytes: null,
      extract: target.extract,
    });
  } catch (error) {
    if (extra.signal.aborted) await abortQuietly(context, downloadId);
    throw error;
  }
  if (!target.extract) {
    progress.finish("saved");
    return render({ ...base, status: "saved", saved_to: saved.savedPath }, [fileLink(saved.savedPath)]);
  }
  return extractSaved(context, progress, target, saved, base);
}

/**
 * Unpacks a saved zip, then removes the zip: into save_to itself when the caller named a new or
 * empty folder, else into a fresh folder named after the zip (never into what is already there).
 * Progress continues on the call's one scale (WORK): extraction takes its last share.
 */
async function extractSaved(
  context: ToolContext,
  progress: ProgressReporter,
  target: DownloadTarget,
  saved: SavedFile,
  base: DownloadResult,
): Promise<ToolOutput<DownloadResult>> {
  const folder = target.folder as CheckedPath;
  const { savedPath } = saved;
  // Extraction goes into a folder made here, now, inside the checked folder (or into that folder
  // itself when it is new or empty), which must still be itself: not swapped for a link since
  // it was checked. Checked again now: something may have arrived while the zip was fetched.
  await assertFolderIsItself(folder);
  const inPlace = target.extractInPlace && (await isEmptyFolder(folder, path.basename(savedPath)));
  const destination = inPlace
    ? folder
    : await freeFolderName(folder, path.basename(savedPath).replace(/\.zip$/i, ""));
  await assertFolderIsItself(destination);
  // Marked while it fills, so a crash's half-filled folder is recognized and swept later.
  const mark = await markExtraction(destination, !inPlace);
  let extracted: ExtractResult;
  try {
    extracted = await extractZip(savedPath, destination, {
      signal: context.extra.signal,
      onProgress: (done, total) => {
        mark.refresh();
        progress.report(
          SHARE.transferEndBeforeExtract +
            ((WORK - SHARE.transferEndBeforeExtract) * done) / Math.max(total, 1),
          WORK,
          `extracting ${groupDigits(done)}/${groupDigits(total)} files`,
        );
      },
    });
    await mark.remove();
  } catch (error) {
    await mark.remove().catch(() => {});
    // extractZip removes what it wrote; drop the folder too when this call made it, unless the
    // path leads elsewhere now.
    if (!inPlace && (await isStillItself(folder))) await fs.rm(destination, { recursive: true, force: true });
    if (context.extra.signal.aborted) {
      await fs.rm(savedPath, { force: true });
      throw error;
    }
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\.$/, "");
    throw new ToolError(
      `${path.basename(savedPath)} was saved but could not be extracted: ${reason}. The zip is kept at ${savedPath}; open it with an archive tool, or download again without extract.`,
    );
  }
  await fs.rm(savedPath, { force: true });
  progress.finish(`extracted ${countOf(extracted.files.length, "file")}`);
  const links = extracted.files.slice(0, MAX_LINKS).map((file) => fileLink(path.join(destination, file)));
  const note =
    target.namedFolder && !inPlace
      ? `${folder} already held files, so nothing there was touched: the zip was unpacked into a new folder inside it.`
      : undefined;
  return render(
    {
      ...base,
      status: "extracted",
      saved_to: destination,
      files: extracted.files,
      ...(extracted.skipped.length > 0 ? { skipped: extracted.skipped } : {}),
    },
    links,
    note,
  );
}

async function saveWithProgress(
  context: ToolContext,
  progress: ProgressReporter,
  options: {
    url: string;
    folder: CheckedPath;
    fileName: string;
    expectedBytes: number | null;
    /** Extraction follows: the download is the first half of the work. */
    extract: boolean;
  },
): Promise<SavedFile> {
  const start = SHARE.job;
  const end = options.extract ? SHARE.transferEndBeforeExtract : SHARE.transferEnd;
  // What a crashed earlier download or extraction left in this folder goes first.
  const swept = await sweepLeftovers(options.folder);
  if (swept.length > 0)
    context.logger.info(`removed ${swept.length} stale leftovers of interrupted transfers`);
  return saveUrlToFile({
    http: context.client.http,
    url: options.url,
    directory: options.folder,
    fileName: options.fileName,
    expectedBytes: options.expectedBytes,
    signal: context.extra.signal,
    logger: context.logger,
    onProgress: (received, total) =>
      progress.report(
        // Without a length, each byte moves a little closer to the end of the transfer's share.
        start + (end - start) * (total ? received / total : 1 - 0.5 ** (received / (1024 * 1024))),
        WORK,
        total
          ? `downloading ${formatBytes(received)}/${formatBytes(total)}`
          : `downloading ${formatBytes(received)}`,
      ),
  });
}

/**
 * The job status carries no name, so get_download reads it from what Vagon gives: the link's
 * `response-content-disposition` filename when signed in, else the link's last path segment
 * (`temp_files/<uuid>/<name>.zip`). Null when neither names a .zip, so the caller falls back to
 * `download-<id>.zip`. No state is kept: any replica, any later call names it the same.
 */
export function zipNameFromLink(url: string | null | undefined): string | null {
  if (!url || !URL.canParse(url)) return null;
  const link = new URL(url);
  const disposition = link.searchParams.get("response-content-disposition") ?? "";
  const fromDisposition =
    /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ?? /filename="([^"]+)"/i.exec(disposition)?.[1];
  const lastSegment = link.pathname.split("/").pop() ?? "";
  for (const candidate of [fromDisposition, lastSegment]) {
    if (!candidate) continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(candidate);
    } catch {
      continue;
    }
    if (/\.zip$/i.test(decoded) && decoded.length > 4 && !/[\\/]/.test(decoded)) return decoded;
  }
  return null;
}

/**
 * When an S3 presigned link stops working: its signing time (X-Amz-Date, 20260205T101500Z) plus
 * X-Amz-Expires seconds; null when the link doesn't say.
 */
export function presignedExpiry(url: string): string | null {
  const params = URL.canParse(url) ? new URL(url).searchParams : null;
  const signedAt = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(params?.get("X-Amz-Date") ?? "");
  const lifetimeSeconds = Number(params?.get("X-Amz-Expires"));
  if (!signedAt || !Number.isFinite(lifetimeSeconds) || lifetimeSeconds <= 0) return null;
  const [, year, month, day, hour, minute, second] = signedAt;
  const signedMs = Date.UTC(+year!, +month! - 1, +day!, +hour!, +minute!, +second!);
  return isoInstant(signedMs + lifetimeSeconds * 1000);
}

async function abortQuietly(context: ToolContext, downloadId: number): Promise<void> {
  try {
    await context.client.abortDownload(downloadId, { signal: AbortSignal.timeout(10_000) });
    context.logger.info(`Aborted zip job ${downloadId} after the request was cancelled`);
  } catch (error) {
    // 4716: already finished; nothing to abort.
    context.logger.debug(`Abort of zip job ${downloadId} not needed or failed`, { error: String(error) });
  }
}

async function assertFolderIsItself(folder: CheckedPath): Promise<void> {
  if (!(await isStillItself(folder))) {
    throw new ToolError(
      `The folder ${folder} was moved or replaced by a link after it was checked, so nothing was extracted into it. Check the folder and try again.`,
    );
  }
}

function fileLink(filePath: string): ResourceLink {
  return { type: "resource_link", uri: pathToFileURL(filePath).href, name: path.basename(filePath) };
}

function jobLink(downloadId: number): ResourceLink {
  return {
    type: "resource_link",
    uri: `vagon://downloads/${downloadId}`,
    name: `zip job ${downloadId}`,
    mimeType: "application/json",
  };
}

/** The get_download call that goes on where this one stopped, with the caller's save_to and extract. */
function continueCall(downloadId: number, target: DownloadTarget): string {
  const args = [`download_id=${downloadId}`];
  if (target.saveTo !== undefined) args.push(`save_to=${JSON.stringify(target.saveTo)}`);
  if (target.extract) args.push("extract=true");
  return `get_download with ${args.join(", ")}`;
}

function render(
  result: DownloadResult,
  links: ResourceLink[] = [],
  note?: string,
): ToolOutput<DownloadResult> {
  const files = result.files ?? [];
  const output = renderShown(result, links, files.length, note);
  return files.length > 0
    ? { ...output, cut: { items: files.length, keep: (keep) => renderShown(result, links, keep, note) } }
    : output;
}

/** The result naming only the first `shown` extracted files (the output budget may cut the rest). */
function renderShown(
  result: DownloadResult,
  links: ResourceLink[],
  shown: number,
  note: string | undefined,
): ToolOutput<DownloadResult> {
  const lines: string[] = [];
  const what = `${result.name ?? "file"}${result.size ? ` (${formatBytes(result.size)})` : ""}`;
  const allFiles = result.files ?? [];
  const structured: DownloadResult =
    shown < allFiles.length
      ? { ...result, files: allFiles.slice(0, shown), files_total: allFiles.length }
      : result;
  switch (result.status) {
    case "pending":
    case "processing":
      lines.push(
        `Zip job ${result.download_id} is ${result.status === "pending" ? "queued" : "still being built"}. Call ${note ?? `get_download with download_id=${result.download_id}`} to continue; nothing is lost.`,
      );
      break;
    case "saved":
      lines.push(`Saved ${what} to ${result.saved_to}`);
      break;
    case "extracted": {
      if (note) lines.push(note);
      lines.push(`Extracted ${countOf(allFiles.length, "file")} from ${what} into ${result.saved_to}:`);
      lines.push(...allFiles.slice(0, shown).map((file) => `  ${file}`));
      if (shown < allFiles.length) {
        lines.push(
          `  … ${groupDigits(allFiles.length - shown)} more files, all extracted there (the list was cut to fit the output budget; look in ${result.saved_to}).`,
        );
      }
      if (result.skipped?.length) {
        lines.push(`Skipped ${result.skipped.length} unsafe entries:`);
        lines.push(...cappedLines(result.skipped, (skip) => `  ${skip.entry}: ${skip.reason}`, 20));
      }
      break;
    }
    default:
      lines.push(`${what} is ready${result.download_id ? ` (zip job ${result.download_id})` : ""}.`);
  }
  if (result.url && result.status !== "extracted" && result.status !== "saved") {
    lines.push(
      `Temporary download link (expires_at ${result.expires_at ?? "unknown: Vagon didn't say"}): ${result.url}`,
    );
  }
  return { structured, text: lines.join("\n"), links };
}
