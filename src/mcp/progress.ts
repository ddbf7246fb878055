// MCP progress notifications for one tool call: progress never goes backwards, at most a few
// per second within a phase, every new phase shown at once, and the last one always sent.
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const MIN_GAP_MS = 250;

export interface ProgressReporter {
  /**
   * Reports a step. The message's first word is its phase ("queued", "zipping", "downloading",
   * "extracting", "uploading"): a new phase is sent at once, the same phase at most every 250 ms.
   */
  report(progress: number, total: number | undefined, message: string): void;
  /** Sends the final notification: progress equal to total, with `message` (or the last one). */
  finish(message?: string): void;
}

function phaseOf(message: string): string {
  return message.split(" ", 1)[0] ?? "";
}

export function createProgress(extra: ToolExtra): ProgressReporter {
  const progressToken = extra._meta?.progressToken;
  let highest = 0;
  let lastTotal: number | undefined;
  let lastSentAt = 0;
  let lastPhase = "";
  let pendingMessage: string | null = null;

  const send = (progress: number, total: number | undefined, message: string) => {
    lastSentAt = Date.now();
    lastPhase = phaseOf(message);
    pendingMessage = null;
    if (progressToken === undefined) return;
    void extra
      .sendNotification({
        method: "notifications/progress",
        params: { progressToken, progress, ...(total !== undefined ? { total } : {}), message },
      })
      .catch(() => {
        // The client went away; the call itself will notice.
      });
  };

  return {
    report(progress, total, message) {
      highest = Math.max(highest, progress);
      // A total below what was already reported would read as more than 100 %.
      lastTotal = total !== undefined ? Math.max(total, highest) : undefined;
      if (phaseOf(message) !== lastPhase || Date.now() - lastSentAt >= MIN_GAP_MS) {
        send(highest, lastTotal, message);
      } else {
        pendingMessage = message;
      }
    },
    finish(message) {
      const total = Math.max(lastTotal ?? highest, highest, 1);
      highest = total;
      send(total, total, message ?? pendingMessage ?? "done");
    },
  };
}
