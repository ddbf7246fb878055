// Stateless delete plans: a plan_id is the expiry plus an HMAC of the exact set (every id with
// its bytes) and of where it was computed, keyed by a key derived from the API secret. Any
// replica with the same credentials can check one; nothing is stored anywhere. Over OAuth the
// plan is also bound to the subject that previewed it: another user's confirm is a changed plan.
import { createHmac, timingSafeEqual } from "node:crypto";
import { currentPrincipal } from "../../principal.js";

export const PLAN_TTL_MS = 15 * 60_000;

export interface PlanItem {
  id: number;
  /** With everything inside, for folders: a folder that gained files is a different plan. */
  bytes: number;
}

export interface PlanScope {
  location: string;
  machineId: number | null;
  parentId: number;
}

/** Derived, not the secret itself: a leaked plan key signs only plans. */
function planKey(apiKey: string, apiSecret: string): Buffer {
  return createHmac("sha256", apiSecret).update(`vagon-files-mcp delete plan v1\n${apiKey}`).digest();
}

/**
 * The key of the confirmation state a 2026-07-28 delete carries between its rounds (confirm.ts):
 * from the same secret as the plans, for another purpose, so any replica can check it.
 */
export function confirmationKey(apiKey: string, apiSecret: string): Buffer {
  return createHmac("sha256", apiSecret).update(`vagon-files-mcp delete confirmation v1\n${apiKey}`).digest();
}

function digest(
  key: Buffer,
  subject: string | null,
  expiresAtMs: number,
  scope: PlanScope,
  items: PlanItem[],
): string {
  const sorted = [...items].sort((a, b) => a.id - b.id);
  const canonical = JSON.stringify([
    expiresAtMs,
    scope.location,
    scope.machineId,
    scope.parentId,
    sorted.map((item) => [item.id, item.bytes]),
    // Only with a subject, so plans without OAuth read exactly as before.
    ...(subject === null ? [] : [subject]),
  ]);
  return createHmac("sha256", key).update(canonical).digest("base64url");
}

export interface PlanSigner {
  sign(scope: PlanScope, items: PlanItem[], nowMs: number): { planId: string; expiresAtMs: number };
  /** "match", or why the plan can't be carried out as it is. */
  check(
    planId: string,
    scope: PlanScope,
    items: PlanItem[],
    nowMs: number,
  ): "match" | "changed" | "expired" | "malformed";
}

/** `subject` defaults to the caller of the request being served (principal.ts), if any. */
export function createPlanSigner(
  apiKey: string,
  apiSecret: string,
  subject: string | null = currentPrincipal()?.subject ?? null,
): PlanSigner {
  const key = planKey(apiKey, apiSecret);
  return {
    sign(scope, items, nowMs) {
      const expiresAtMs = nowMs + PLAN_TTL_MS;
      return {
        planId: `${expiresAtMs.toString(36)}.${digest(key, subject, expiresAtMs, scope, items)}`,
        expiresAtMs,
      };
    },
    check(planId, scope, items, nowMs) {
      const match = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(planId.trim());
      if (!match) return "malformed";
      const expiresAtMs = Number.parseInt(match[1] ?? "", 36);
      const given = Buffer.from(match[2] ?? "");
      const expected = Buffer.from(digest(key, subject, expiresAtMs, scope, items));
      const same = given.length === expected.length && timingSafeEqual(given, expected);
      // An edited expiry fails the digest, so "expired" is only said of a plan we signed.
      if (same && nowMs > expiresAtMs) return "expired";
      return same ? "match" : "changed";
    },
  };
}
