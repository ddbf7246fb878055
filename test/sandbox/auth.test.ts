import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { call } from "./sandbox-client.js";

describe("sandbox request signing", () => {
  let sandbox: Sandbox;
  let nowMs = Date.now();
  beforeAll(async () => {
    nowMs = Date.now();
    sandbox = await startSandbox({ clock: () => nowMs });
  });
  afterAll(() => sandbox.close());

  it("accepts a request signed as auth.md says", async () => {
    const result = await call(sandbox, "GET", "/files", { query: { page: 1 }, timestampMs: nowMs });
    expect(result.status).toBe(200);
    expect(result.json.client_code).toBe(200);
  });

  it("signs the body bytes of a POST", async () => {
    const result = await call(sandbox, "POST", "/files", {
      body: { file_name: "Signed Folder", object_type: "directory", parent_id: 0 },
      timestampMs: nowMs,
    });
    expect(result.status).toBe(200);
  });

  it("refuses a signature made with the wrong secret", async () => {
    const result = await call(sandbox, "GET", "/files", { secret: "not-the-secret", timestampMs: nowMs });
    expect(result.status).toBe(401);
    expect(result.json).toMatchObject({ client_code: 401, message: "Invalid signature" });
  });

  it("refuses an unknown key and a malformed header", async () => {
    const wrongKey = await call(sandbox, "GET", "/files", {
      authorization: `HMAC other-key:abc:${randomUUID()}:${nowMs}`,
    });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.json.message).toBe("Invalid API key");
    const malformed = await call(sandbox, "GET", "/files", { authorization: "Bearer something" });
    expect(malformed.status).toBe(401);
    expect(malformed.json.message).toMatch(/Malformed Authorization header/);
  });

  it("refuses a reused nonce, even on another endpoint", async () => {
    const nonce = randomUUID();
    expect((await call(sandbox, "GET", "/files", { nonce, timestampMs: nowMs })).status).toBe(200);
    const replay = await call(sandbox, "GET", "/files/recordings", { nonce, timestampMs: nowMs });
    expect(replay.status).toBe(401);
    expect(replay.json.message).toBe("Nonce already used");
  });

  it("does not burn the nonce of a request with a bad signature", async () => {
    const nonce = randomUUID();
    expect(
      (await call(sandbox, "GET", "/files", { nonce, secret: "wrong", timestampMs: nowMs })).status,
    ).toBe(401);
    expect((await call(sandbox, "GET", "/files", { nonce, timestampMs: nowMs })).status).toBe(200);
  });

  it("refuses a timestamp more than 5 minutes off, in either direction", async () => {
    const old = await call(sandbox, "GET", "/files", { timestampMs: nowMs - 5 * 60_000 - 1_000 });
    expect(old.status).toBe(401);
    expect(old.json.message).toBe("Timestamp outside the allowed window");
    const future = await call(sandbox, "GET", "/files", { timestampMs: nowMs + 6 * 60_000 });
    expect(future.status).toBe(401);
    expect((await call(sandbox, "GET", "/files", { timestampMs: nowMs - 4 * 60_000 })).status).toBe(200);
  });

  it("signs the path without the query string", async () => {
    const result = await call(sandbox, "GET", "/files", {
      query: { page: 2, per_page: 1, q: "e" },
      timestampMs: nowMs,
    });
    expect(result.status).toBe(200);
    expect(result.json.page).toBe(2);
  });

  it("logs every request with its route and status", async () => {
    sandbox.clearRequests();
    await call(sandbox, "GET", "/files", { secret: "wrong", timestampMs: nowMs });
    expect(sandbox.requests).toEqual([
      {
        method: "GET",
        route: "list-files",
        path: "/organization-management/v1/files",
        status: 401,
        clientCode: null,
        fault: null,
      },
    ]);
  });
});
