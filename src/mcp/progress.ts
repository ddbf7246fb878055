// MCP progress notifications for one tool call. The MCP spec requires `progress` to grow with
// every notification, so one that wouldn't is held back (or, for a new phase, nudged just past the
// last one); `total` keeps the one meaning the first report gave it for the whole call; a few per
// second at most within a phase, every new phase shown at once, and the last one always sent.
import type { ServerContext, ServerNotification } from "@modelcontextprotocol/server";

/** What a tool sees of its request (define-tool.ts builds it from the SDK's handler context). */
export interface ToolExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  /** Sent on this request's own stream (SSE over HTTP), as every notification of a call. */
  sendNotification(notification: ServerNotification): Promise<void>;
  /** The SDK's context: the era, the client's capabilities, a retried request's input responses. */
  ctx: ServerContext;
}

const MIN_GAP_MS = 250;

export interface ProgressReporter {
  /**
   * Reports a step. `total` is fixed by the first report that gives one (later ones are read on
   * that scale; one larger than it is ignored). The message's first word is its phase ("queued",
   * "zipping", "downloading", "extracting", "uploading"): a new phase is sent at once, the same
   * phase at most every 250 ms.
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
  let fixedTotal: number | undefined;
  /** The progress of the last notification sent; every next one must be larger. */
  let lastSent = Number.NEGATIVE_INFINITY;
  let lastSentAt = 0;
  let lastPhase = "";
  let pendingMessage: string | null = null;

  const send = (progress: number, message: string) => {
    lastSent = progress;
    lastSentAt = Date.now();
    lastPhase = phaseOf(message);
    pendingMessage = null;
    if (progressToken === undefined) return;
    void extra
      .sendNotification({
        method: "notifications/progress",
        params: {
          progressToken,
          progress,
          ...(fixedTotal !== undefined ? { total: fixedTotal } : {}),
          message,
        },
      })
      .catch(() => {
        // The client went away; the call itself will notice.
      });
  };

  /** A step small against the scale, so a nudged value never reads as real work done. */
  const nudge = () => (fixedTotal ?? 1) / 10_000;

  return {
    report(progress, total, message) {
      if (fixedTotal === undefined && total !== undefined && lastSent === Number.NEGATIVE_INFINITY) {
        fixedTotal = total;
      }
      // Never past the end before finish() says so.
      const capped = fixedTotal !== undefined ? Math.min(progress, fixedTotal - nudge()) : progress;
      const newPhase = phaseOf(message) !== lastPhase;
      if (capped > lastSent && (newPhase || Date.now() - lastSentAt >= MIN_GAP_MS)) {
        send(capped, message);
      } else if (newPhase && (fixedTotal === undefined || lastSent + nudge() < fixedTotal)) {
        // A new phase that hasn't moved the count yet (the zip job queued, then zipping).
        send(Math.max(capped, lastSent + nudge()), message);
      } else {
        pendingMessage = message;
      }
    },
    finish(message) {
      const end = fixedTotal ?? Math.max(lastSent + 1, 1);
      fixedTotal ??= end;
      if (end <= lastSent) return;
      send(end, message ?? pendingMessage ?? "done");
    },
  };
}
