// Turns any failure into a tool result the model can act on: one paragraph naming the cause
// and the next step. Known errors carry their own user-facing message; anything else is
// logged and reported briefly, never with a stack trace.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../log.js";
import { DownloadFailedError } from "../vagon/download.js";
import { VagonError } from "../vagon/errors.js";
import { UploadFailedError } from "../vagon/upload.js";

/** A mistake in the tool call itself (missing or conflicting arguments), with the fix. */
export class UserInputError extends Error {
  override name = "UserInputError";
}

/** A local path refused before any I/O: outside the roots, no roots, or unusable. */
export class LocalPathError extends Error {
  override name = "LocalPathError";
}

export function errorText(error: unknown, toolName: string, logger: Logger): string {
  if (
    error instanceof VagonError ||
    error instanceof UploadFailedError ||
    error instanceof DownloadFailedError ||
    error instanceof UserInputError ||
    error instanceof LocalPathError
  ) {
    return logger.redact(error.message);
  }
  logger.error(`Unexpected error in ${toolName}`, {
    error: error instanceof Error ? error.message : String(error),
  });
  const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return logger.redact(
    `Unexpected error in ${toolName}: ${reason}. Try again; if it persists, check the server log.`,
  );
}

export function toolErrorResult(error: unknown, toolName: string, logger: Logger): CallToolResult {
  return { isError: true, content: [{ type: "text", text: errorText(error, toolName, logger) }] };
}
