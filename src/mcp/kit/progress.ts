// MCP progress notifications for one tool call. The MCP spec requires `progress` to grow with
// every notification, so one that wouldn't is held back (or, for a new phase, nudged just past the
// last one); `total` keeps the one meaning the first report gave it for the whole call; a few per
// second at most within a phase, every new phase shown at once, and the last one always sent.
//
// The last notification must also reach the client before the result, and being sent first is not
// enough: the v1 SDK's client hands a notification to its handler a microtask later, but takes a
// response at once and forgets the call's progress handler with it, so a notification that arrives
// in the same read as the result is dropped ("unknown token") — over stdio, most runs of a fast
// call. `beforeResult` closes that gap with a ping, which the client answers only after the
// notifications before it.
import type { ServerContext, ServerNotification } from "@modelcontextprotocol/server";

/** What a tool sees of its request (define-tool.ts builds it from the SDK's handler context). */
export interface ToolExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  /** Sent on this request's own stream (SSE over HTTP), as every notification of a call. */
  sendNotification(notification: ServerNotification): Promise<void>;
  /** The SDK's context: the era, the client's capabilities, a retried request's input responses. */
  ctx: ServerContext;
  /**
   * A ping to the client and its answer, where one can go: an initialize-era session over stdio
   * (over HTTP the client reads its stream one event at a time, so the gap doesn't exist there, and
   * a stateless server could not receive the answer; 2026-07-28 has no server→client requests).
   */
  ping?: (timeoutMs: number) => Promise<unknown>;
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

/** The calls (by their extra) that sent a progress notification, for `beforeResult`. */
const notified = new WeakSet<ToolExtra>();

/** Longest wait for the client's answer to the ping: a client that doesn't answer delays nothing much. */
const PING_TIMEOUT_MS = 5000;

/**
 * Resolves once the client has handled every progress notification this call sent (a ping round
 * trip, only when one was sent). Over HTTP the client reads its stream one event at a time, so the
 * gap doesn't exist there, and a stateless server could not receive the answer: no ping.
 */
export async function beforeResult(extra: ToolExtra): Promise<void> {
  if (!notified.has(extra) || !extra.ping || extra.signal.aborted) return;
  await extra.ping(PING_TIMEOUT_MS).catch(() => {
    // No answer: the result goes anyway.
  });
}

/** 10 * (1 - 0.85) is 1.5000000000000002 in floating point: the client reads 1.5. */
function tidy(value: number): number {
  return Number(value.toPrecision(12));
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

  const send = (unrounded: number, message: string) => {
    const progress = tidy(unrounded);
    lastSent = progress;
    lastSentAt = Date.now();
    lastPhase = phaseOf(message);
    pendingMessage = null;
    if (progressToken === undefined) return;
    notified.add(extra);
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
