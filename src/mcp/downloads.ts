// The one download flow behind download_files, download_task_bundle and get_download:
// a direct link or a zip job, waited for within wait_seconds with progress, then optionally
// saved atomically and extracted safely. A cancelled call aborts the job at Vagon.
import * as fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ResourceLink } from "@modelcontextprotocol/sdk/types.js";
import { saveUrlToFile, waitForJob } from "../vagon/download.js";
import { type ExtractResult, extractZip } from "../vagon/extract.js";
import type { DownloadJob, DownloadStart } from "../vagon/types.js";
import type { ToolContext, ToolOutput } from "./define-tool.js";
import { UserInputError } from "./errors.js";
import { cappedLines, formatBytes } from "./format.js";
import type { CheckedPath } from "./local-paths.js";
import { createProgress, type ProgressReporter } from "./progress.js";
import type { DownloadResult } from "./shapes.js";

export interface DownloadTarget {
  /** Checked folder to save into; null = return the link only. */
  folder: CheckedPath | null;
  extract: boolean;
  waitSeconds: number;
}

const MAX_LINKS = 20;
const MB = 1_000_000;

/** Checks save_to (before anything is sent to Vagon). extract without save_to uses the download folder. */
export async function resolveTarget(
  context: ToolContext,
  args: { save_to?: string | undefined; extract: boolean; wait_seconds: number },
): Promise<DownloadTarget> {
  const wantsDisk = args.save_to !== undefined || args.extract;
  const folder = wantsDisk ? await context.paths.checkFolder(args.save_to) : null;
  return { folder, extract: args.extract, waitSeconds: args.wait_seconds };
}

export async function finishDownload(
  context: ToolContext,
  start: DownloadStart,
  target: DownloadTarget,
): Promise<ToolOutput<DownloadResult>> {
  const progress = createProgress(context.extra);
  if (start.kind === "link") {
    const result: DownloadResult = {
      status: "ready",
      url: start.url,
      name: start.name,
      size: start.sizeBytes,
    };
    if (!target.folder) return render(result);
    const saved = await saveWithProgress(
      context,
      progress,
      start.url,
      target.folder,
      start.name ?? "download",
      start.sizeBytes,
    );
    if (target.extract && /\.zip$/i.test(saved))
      return extractSaved(context, progress, target.folder, saved, result);
    progress.finish("saved");
    return render({ ...result, status: "saved", saved_to: saved }, [fileLink(saved)]);
  }
  return followJob(context, start.downloadId, target, progress, start.name);
}

export async function followJob(
  context: ToolContext,
  downloadId: number,
  target: DownloadTarget,
  progress: ProgressReporter = createProgress(context.extra),
  name: string | null = null,
): Promise<ToolOutput<DownloadResult>> {
  const { client, extra } = context;
  let job: DownloadJob;
  try {
    job = await waitForJob({
      client,
      downloadId,
      timeoutMs: target.waitSeconds * 1000,
      signal: extra.signal,
      onUpdate: (update) => {
        const total = update.sizeBytes ?? undefined;
        if (update.status === "pending") progress.report(0, total, "queued");
        else if (update.status === "processing")
          progress.report(0, total, `zipping ${formatBytes(update.sizeBytes) || "files"}`);
      },
    });
  } catch (error) {
    if (extra.signal.aborted) await abortQuietly(context, downloadId);
    throw error;
  }

  const zipName = name ?? `download-${downloadId}.zip`;
  const base: DownloadResult = {
    status: job.status === "uploaded" ? "uploaded" : job.status === "pending" ? "pending" : "processing",
    download_id: downloadId,
    expires_at: job.expiresAt,
    name: zipName,
    size: job.sizeBytes,
    ...(job.url ? { url: job.url } : {}),
  };
  if (job.status === "failed") {
    throw new UserInputError(
      `Vagon could not build zip job ${downloadId}. Start the download again; if it fails again, download the files one by one.`,
    );
  }
  if (job.status === "cancelled") {
    throw new UserInputError(
      `Zip job ${downloadId} was cancelled. Start the download again if you still need it.`,
    );
  }
  if (job.status !== "uploaded" || !job.url) {
    progress.finish(job.status === "pending" ? "queued" : "zipping");
    return render(base);
  }
  if (!target.folder) {
    progress.finish("ready");
    return render(base);
  }

  let savedPath: string;
  try {
    savedPath = await saveWithProgress(context, progress, job.url, target.folder, zipName, null);
  } catch (error) {
    if (extra.signal.aborted) await abortQuietly(context, downloadId);
    throw error;
  }
  if (!target.extract) {
    progress.finish("saved");
    return render({ ...base, status: "saved", saved_to: savedPath }, [fileLink(savedPath)]);
  }

  return extractSaved(context, progress, target.folder, savedPath, base);
}

/** Unpacks a saved zip into a fresh folder named after it, then removes the zip. */
async function extractSaved(
  context: ToolContext,
  progress: ProgressReporter,
  folder: CheckedPath,
  savedPath: string,
  base: DownloadResult,
): Promise<ToolOutput<DownloadResult>> {
  const destination = await freeFolderName(folder, path.basename(savedPath).replace(/\.zip$/i, ""));
  let extracted: ExtractResult;
  try {
    extracted = await extractZip(savedPath, destination, {
      signal: context.extra.signal,
      onProgress: (done, total) => progress.report(done, total, `extracting ${done}/${total} files`),
    });
  } catch (error) {
    // extractZip removes what it wrote; drop the folder too, and the zip when the call was cancelled.
    await fs.rm(destination, { recursive: true, force: true });
    if (context.extra.signal.aborted) await fs.rm(savedPath, { force: true });
    throw error;
  }
  await fs.rm(savedPath, { force: true });
  progress.finish(`extracted ${extracted.files.length} files`);
  const links = extracted.files.slice(0, MAX_LINKS).map((file) => fileLink(path.join(destination, file)));
  return render(
    {
      ...base,
      status: "extracted",
      saved_to: destination,
      files: extracted.files,
      ...(extracted.skipped.length > 0 ? { skipped: extracted.skipped } : {}),
    },
    links,
  );
}

async function saveWithProgress(
  context: ToolContext,
  progress: ProgressReporter,
  url: string,
  folder: CheckedPath,
  fileName: string,
  expectedBytes: number | null,
): Promise<string> {
  const saved = await saveUrlToFile({
    dispatcher: context.client.dispatcher,
    url,
    directory: folder,
    fileName,
    expectedBytes,
    signal: context.extra.signal,
    logger: context.logger,
    onProgress: (received, total) =>
      progress.report(
        received,
        total ?? undefined,
        total
          ? `downloading ${Math.round(received / MB).toLocaleString("en-US")}/${Math.round(total / MB).toLocaleString("en-US")} MB`
          : `downloading ${formatBytes(received)}`,
      ),
  });
  return saved.savedPath;
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

async function freeFolderName(parent: string, name: string): Promise<string> {
  for (let copy = 0; ; copy += 1) {
    const candidate = path.join(parent, copy === 0 ? name : `${name} (${copy})`);
    try {
      await fs.mkdir(candidate);
      return candidate;
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    }
  }
}

function fileLink(filePath: string): ResourceLink {
  return { type: "resource_link", uri: pathToFileURL(filePath).href, name: path.basename(filePath) };
}

function render(result: DownloadResult, links: ResourceLink[] = []): ToolOutput<DownloadResult> {
  const lines: string[] = [];
  const what = `${result.name ?? "file"}${result.size ? ` (${formatBytes(result.size)})` : ""}`;
  switch (result.status) {
    case "pending":
    case "processing":
      lines.push(
        `Zip job ${result.download_id} is ${result.status === "pending" ? "queued" : "still being built"}. Call get_download with download_id=${result.download_id} to continue; nothing is lost.`,
      );
      break;
    case "saved":
      lines.push(`Saved ${what} to ${result.saved_to}`);
      break;
    case "extracted":
      lines.push(`Extracted ${result.files?.length ?? 0} files from ${what} into ${result.saved_to}:`);
      lines.push(...cappedLines((result.files ?? []).map((file) => `  ${file}`)));
      if (result.skipped?.length) {
        lines.push(`Skipped ${result.skipped.length} unsafe entries:`);
        lines.push(
          ...cappedLines(
            result.skipped.map((skip) => `  ${skip.entry}: ${skip.reason}`),
            20,
          ),
        );
      }
      break;
    default:
      lines.push(`${what} is ready${result.download_id ? ` (zip job ${result.download_id})` : ""}.`);
  }
  if (result.url && result.status !== "extracted" && result.status !== "saved") {
    lines.push(
      `Temporary download link (expires${result.expires_at ? ` ${result.expires_at}` : " soon"}): ${result.url}`,
    );
  }
  return { structured: result, text: lines.join("\n"), links };
}
