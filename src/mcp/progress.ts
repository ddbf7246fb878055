// MCP progress notifications for one tool call: progress never goes backwards, at most a few
// per second, and the last one is always sent.
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const MIN_GAP_MS = 250;

export interface ProgressReporter {
  /** Reports a step; dropped when too soon after the previous one unless `force`. */
  report(progress: number, total: number | undefined, message: string, force?: boolean): void;
  /** Sends the final notification (the last reported values, when any was throttled away). */
  finish(message?: string): void;
}

export function createProgress(extra: ToolExtra): ProgressReporter {
  const progressToken = extra._meta?.progressToken;
  let highest = 0;
  let lastSentAt = 0;
  let pending: { progress: number; total: number | undefined; message: string } | null = null;

  const send = (progress: number, total: number | undefined, message: string) => {
    if (progressToken === undefined) return;
    lastSentAt = Date.now();
    pending = null;
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
    report(progress, total, message, force = false) {
      highest = Math.max(highest, progress);
      const step = {
        progress: highest,
        total: total !== undefined ? Math.max(total, highest) : undefined,
        message,
      };
      if (force || Date.now() - lastSentAt >= MIN_GAP_MS) send(step.progress, step.total, step.message);
      else pending = step;
    },
    finish(message) {
      const last = pending ?? { progress: highest, total: undefined, message: "done" };
      const total = last.total ?? Math.max(highest, 1);
      highest = Math.max(highest, total);
      send(highest, total, message ?? last.message);
    },
  };
}
