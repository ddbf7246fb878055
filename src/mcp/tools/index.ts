// Every tool, in the order hosts show them.
import type { AnyTool } from "../kit/define-tool.js";
import { cancelDownload } from "./cancel-download.js";
import { completeUpload } from "./complete-upload.js";
import { createDirectory } from "./create-directory.js";
import { createUploadLink } from "./create-upload-link.js";
import { deleteFile } from "./delete-file.js";
import { deleteFiles } from "./delete-files.js";
import { downloadFiles } from "./download-files.js";
import { downloadTaskBundle } from "./download-task-bundle.js";
import { findFiles } from "./find-files.js";
import { getDownload } from "./get-download.js";
import { listFiles } from "./list-files.js";
import { listMachineContent } from "./list-machine-content.js";
import { readFile } from "./read-file.js";
import { storageUsage } from "./storage-usage.js";
import { uploadFile } from "./upload-file.js";

export const TOOLS: AnyTool[] = [
  listFiles,
  listMachineContent,
  readFile,
  findFiles,
  storageUsage,
  uploadFile,
  createUploadLink,
  completeUpload,
  createDirectory,
  downloadFiles,
  downloadTaskBundle,
  getDownload,
  cancelDownload,
  deleteFile,
  deleteFiles,
];
