// Turns any failure into a tool result the model can act on: one paragraph naming the cause
// and the next step. Known errors carry their own user-facing message; anything else is
// logged and reported briefly, never with a stack trace.
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Logger } from "../log.js";
import { ShownError } from "../shown-error.js";

/** A failure whose message is already written for the user: cause plus next step. */
export class ToolError extends ShownError {
  override name = "ToolError";
}

/** A mistake in the tool call itself (missing or conflicting arguments), with the fix. */
export class UserInputError extends ToolError {
  override name = "UserInputError";
}

/** A local path refused before any I/O: outside the roots, no roots, or unusable. */
export class LocalPathError extends ToolError {
  override name = "LocalPathError";
}

/** True for errors whose message can be shown as it is. */
export function isUserFacing(error: unknown): error is ShownError {
  return error instanceof ShownError;
}

/** The one paragraph to show for `error`; unexpected errors are logged here. */
export function errorText(error: unknown, where: string, logger: Logger): string {
  if (isUserFacing(error)) return logger.redact(error.message);
  const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0]?.trim();
  logger.error(`Unexpected error in ${where}`, { error: reason });
  return logger.redact(
    `Unexpected error in ${where}: ${reason || "unknown failure"}. Try again; if it persists, check the server log.`,
  );
}

export function toolErrorResult(
  error: unknown,
  toolName: string,
  logger: Logger,
  signal?: AbortSignal,
): CallToolResult {
  // The client cancelled the call: expected, not a failure (and nobody reads this result).
  if (signal?.aborted) {
    logger.debug(`${toolName} was cancelled by the client`);
    return { isError: true, content: [{ type: "text", text: `${toolName} was cancelled.` }] };
  }
  return { isError: true, content: [{ type: "text", text: errorText(error, toolName, logger) }] };
}
