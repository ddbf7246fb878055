// Stateless delete plans: any signer with the same credentials checks a plan; another set,
// scope, expiry or secret does not pass.
import { describe, expect, it } from "vitest";
import { createPlanSigner, PLAN_TTL_MS } from "../../src/mcp/housekeeping/delete-plan.js";

const scope = { location: "recordings", machineId: null, parentId: 0 };
const items = [
  { id: 7, bytes: 100 },
  { id: 3, bytes: 5 },
];
const NOW = Date.parse("2026-12-01T12:00:00Z");

describe("delete plans", () => {
  it("are checked by another signer with the same credentials, in any item order", () => {
    const { planId, expiresAtMs } = createPlanSigner("key", "secret").sign(scope, items, NOW);
    expect(expiresAtMs).toBe(NOW + PLAN_TTL_MS);
    const replica = createPlanSigner("key", "secret");
    expect(replica.check(planId, scope, [...items].reverse(), NOW + 60_000)).toBe("match");
  });

  it("fail for another set, scope, secret or an edited expiry, and expire after 15 minutes", () => {
    const signer = createPlanSigner("key", "secret");
    const { planId } = signer.sign(scope, items, NOW);
    expect(signer.check(planId, scope, [{ id: 7, bytes: 100 }], NOW)).toBe("changed");
    expect(signer.check(planId, scope, [{ id: 7, bytes: 101 }, items[1]!], NOW)).toBe("changed");
    expect(signer.check(planId, { ...scope, parentId: 5 }, items, NOW)).toBe("changed");
    expect(createPlanSigner("key", "other secret").check(planId, scope, items, NOW)).toBe("changed");
    const [expiry, digest] = planId.split(".");
    const later = `${(Number.parseInt(expiry ?? "", 36) + 3_600_000).toString(36)}.${digest}`;
    expect(signer.check(later, scope, items, NOW)).toBe("changed");
    expect(signer.check(planId, scope, items, NOW + PLAN_TTL_MS + 1)).toBe("expired");
    expect(signer.check("not a plan", scope, items, NOW)).toBe("malformed");
  });
});
