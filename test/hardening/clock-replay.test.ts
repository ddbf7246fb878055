// Clock and replay: Vagon refuses a timestamp more than 5 minutes off and any nonce it has seen.
// The host clock is skewed in this process only (Date.now spied); the sandbox keeps real time
// through its `clock` option, so the two sides disagree exactly like a drifting laptop and Vagon.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createVagonClient } from "../../src/vagon/client.js";
import { VagonError } from "../../src/vagon/errors.js";
import { signRequest } from "../../src/vagon/signing.js";
import { toolText, useHarness } from "../helpers/harness.js";

const realNow = Date.now.bind(Date);
const TEN_MINUTES_MS = 10 * 60 * 1000;

const { harness, sandbox } = useHarness({ sandboxOptions: { clock: () => realNow() } });

afterEach(() => {
  vi.restoreAllMocks();
});

function skewHostClock(offsetMs: number) {
  vi.spyOn(Date, "now").mockImplementation(() => realNow() + offsetMs);
}

describe("a host clock outside Vagon's 5-minute window", () => {
  it.each([
    ["10 minutes fast", TEN_MINUTES_MS],
    ["10 minutes slow", -TEN_MINUTES_MS],
  ])("fails with a message naming the clock when it runs %s", async (_label, offsetMs) => {
    const client = createVagonClient({
      apiUrl: sandbox.apiUrl,
      apiKey: sandbox.apiKey,
      apiSecret: sandbox.apiSecret,
      retryBaseDelayMs: 1,
    });
    try {
      sandbox.clearRequests();
      skewHostClock(offsetMs);
      const failure = await client.listFiles({ location: "shared" }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(VagonError);
      const error = failure as VagonError;
      expect(error.status).toBe(401);
      expect(error.message).toMatch(/clock/i);
      expect(error.message).toMatch(/5 minutes/);
      expect(error.message).not.toMatch(/VAGON_API_SECRET/);
      // A wrong clock is not fixed by asking again: one request, no retry storm.
      expect(sandbox.requests.map((request) => request.status)).toEqual([401]);
    } finally {
      vi.restoreAllMocks();
      await client.close();
    }
  });

  it("is told to the agent through the MCP tool result, with the next step", async () => {
    try {
      skewHostClock(TEN_MINUTES_MS);
      const result = await harness.callTool("list_files", { location: "shared" });
      expect(result.isError).toBe(true);
      expect(toolText(result)).toMatch(/clock/i);
      expect(toolText(result)).toMatch(/time synchronization|system clock/i);
      vi.restoreAllMocks();
      const healthy = await harness.callTool("list_files", { location: "shared" });
      expect(healthy.isError).toBeFalsy();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("a skew inside the window still works (4 minutes fast)", async () => {
    const client = createVagonClient({
      apiUrl: sandbox.apiUrl,
      apiKey: sandbox.apiKey,
      apiSecret: sandbox.apiSecret,
    });
    try {
      skewHostClock(4 * 60 * 1000);
      const page = await client.listFiles({ location: "shared" });
      expect(page.entries.length).toBeGreaterThan(0);
    } finally {
      vi.restoreAllMocks();
      await client.close();
    }
  });
});

describe("nonces", () => {
  it("never repeat over 100,000 signatures (property over random requests)", () => {
    const seen = new Set<string>();
    let signatures = 0;
    const request = fc.record({
      method: fc.constantFrom("GET", "POST", "DELETE", "get"),
      path: fc.string({ maxLength: 40 }).map((tail) => `/organization-management/v1/${tail}`),
      body: fc.option(fc.json({ maxDepth: 1 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(request, ({ method, path, body }) => {
        // 100 signatures per generated request: same inputs, same millisecond, still fresh nonces.
        const timestampMs = realNow();
        for (let index = 0; index < 100; index += 1) {
          const signed = signRequest({ apiKey: "key", apiSecret: "secret", method, path, body, timestampMs });
          if (seen.has(signed.nonce)) return false;
          seen.add(signed.nonce);
          signatures += 1;
          const [, , nonce, timestamp] = signed.header.slice("HMAC ".length).split(":");
          if (nonce !== signed.nonce || timestamp !== String(timestampMs)) return false;
        }
        return true;
      }),
      { numRuns: 1000 },
    );
    expect(signatures).toBe(100_000);
    expect(seen.size).toBe(100_000);
  });

  it("stay unique under concurrency: 300 parallel calls all pass the sandbox's replay check", async () => {
    const client = createVagonClient({
      apiUrl: sandbox.apiUrl,
      apiKey: sandbox.apiKey,
      apiSecret: sandbox.apiSecret,
      maxRetries: 0,
    });
    try {
      sandbox.clearRequests();
      const results = await Promise.allSettled(
        Array.from({ length: 300 }, () => client.listFiles({ location: "shared", perPage: 1 })),
      );
      expect(results.filter((result) => result.status === "rejected")).toEqual([]);
      expect(sandbox.requests.filter((request) => request.status === 401)).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
