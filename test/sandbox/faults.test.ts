import { randomBytes } from "node:crypto";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FaultDecision } from "../../src/sandbox/faults.js";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { call } from "./sandbox-client.js";

describe("sandbox fault injection", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.close());

  it("answers 429 with Retry-After and changes nothing", async () => {
    sandbox.setFaults({ routes: { create: { rateLimit429: 1, retryAfterSeconds: 7 } } });
    try {
      const before = sandbox.children(0).length;
      const answer = await call(sandbox, "POST", "/files", {
        body: { file_name: "Nope", object_type: "directory", parent_id: 0 },
      });
      expect(answer.status).toBe(429);
      expect(answer.headers["retry-after"]).toBe("7");
      expect(sandbox.children(0)).toHaveLength(before);
      expect(sandbox.requests.at(-1)).toMatchObject({ route: "create", status: 429, fault: "rateLimit429" });
      // Other routes are untouched.
      expect((await call(sandbox, "GET", "/files")).status).toBe(200);
    } finally {
      sandbox.setFaults(null);
    }
  });

  it("is deterministic: the same seed gives the same 5xx pattern", async () => {
    const pattern = async () => {
      sandbox.setFaults({ seed: 7, routes: { "*": { error5xx: 0.5 } } });
      const statuses: number[] = [];
      for (let index = 0; index < 12; index++) statuses.push((await call(sandbox, "GET", "/files")).status);
      sandbox.setFaults(null);
      return statuses;
    };
    const first = await pattern();
    expect(first.some((status) => status >= 500)).toBe(true);
    expect(first.some((status) => status === 200)).toBe(true);
    expect(first.every((status) => [200, 500, 502, 503].includes(status))).toBe(true);
    expect(await pattern()).toEqual(first);
  });

  it("drops the connection of a faulted part PUT", async () => {
    const created = await call(sandbox, "POST", "/files", {
      body: {
        file_name: "dropped.bin",
        object_type: "file",
        content_type: "application/octet-stream",
        size: 1024,
        parent_id: 0,
      },
    });
    sandbox.setFaults({ routes: { "s3-put": { drop: 1 } } });
    try {
      await expect(
        request(created.json.upload_urls[0].url, { method: "PUT", body: randomBytes(1024) }),
      ).rejects.toThrow();
      expect(sandbox.requests.at(-1)).toMatchObject({ route: "s3-put", status: 0, fault: "drop" });
    } finally {
      sandbox.setFaults(null);
    }
  });

  it("truncates an S3 body; a Range request resumes where it broke", async () => {
    const content = randomBytes(256 * 1024);
    const fileId = await sandbox.addFile({ parentId: 0, name: "big.bin", content });
    const link = await call(sandbox, "POST", "/files/download", { body: { file_ids: [fileId] } });
    sandbox.setFaults({ routes: { "s3-get": { truncate: 1 } } });
    const received: Buffer[] = [];
    try {
      const response = await request(link.json.url);
      expect(response.headers["content-length"]).toBe(String(content.length));
      await expect(
        (async () => {
          for await (const chunk of response.body) received.push(chunk as Buffer);
        })(),
      ).rejects.toThrow();
    } finally {
      sandbox.setFaults(null);
    }
    const head = Buffer.concat(received);
    expect(head.length).toBeGreaterThan(0);
    expect(head.length).toBeLessThan(content.length);
    const rest = await request(link.json.url, { headers: { range: `bytes=${head.length}-` } });
    expect(rest.statusCode).toBe(206);
    const tail = Buffer.from(await rest.body.arrayBuffer());
    expect(Buffer.concat([head, tail]).equals(content)).toBe(true);
  });

  it("delays a response by latencyMs, then serves it", async () => {
    sandbox.setFaults({ routes: { "list-machine-files": { latency: 1, latencyMs: 150 } } });
    try {
      const startedAt = performance.now();
      const answer = await call(sandbox, "GET", `/machines/${SEED.runningMachineId}/files`);
      expect(answer.status).toBe(200);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(140);
      expect(sandbox.requests.at(-1)).toMatchObject({ status: 200, fault: "latency" });
    } finally {
      sandbox.setFaults(null);
    }
  });

  // A Record over every kind: a new fault kind must add its row here (the compiler asks for it),
  // and the row must show what the kind does to a request.
  const createFolder = (name: string) =>
    call(sandbox, "POST", "/files", { body: { file_name: name, object_type: "directory", parent_id: 0 } });
  const named = (name: string) => sandbox.children(0).some((entry) => entry.name === name);
  const effects: Record<FaultDecision["kind"], () => Promise<void>> = {
    drop: async () => {
      sandbox.setFaults({ routes: {}, scripted: [{ route: "create", fault: "drop" }] });
      await expect(createFolder("Dropped")).rejects.toThrow();
      expect(named("Dropped")).toBe(false);
    },
    rateLimit429: async () => {
      sandbox.setFaults({ routes: {}, scripted: [{ route: "create", fault: "rateLimit429" }] });
      expect((await createFolder("Later")).status).toBe(429);
      expect(named("Later")).toBe(false);
    },
    error5xx: async () => {
      sandbox.setFaults({ routes: {}, scripted: [{ route: "create", fault: "error5xx" }] });
      expect((await createFolder("Broken")).status).toBe(503);
      expect(named("Broken")).toBe(false);
    },
    forbidden: async () => {
      sandbox.setFaults({ routes: {}, scripted: [{ route: "create", fault: "forbidden" }] });
      expect((await createFolder("Refused")).status).toBe(403);
      expect(named("Refused")).toBe(false);
    },
    lostAnswer: async () => {
      sandbox.setFaults({ routes: {}, scripted: [{ route: "create", fault: "lostAnswer" }] });
      await expect(createFolder("Done anyway")).rejects.toThrow();
      expect(named("Done anyway")).toBe(true);
    },
    truncate: async () => {
      const content = randomBytes(256 * 1024);
      const fileId = await sandbox.addFile({ parentId: 0, name: "cut.bin", content });
      const link = await call(sandbox, "POST", "/files/download", { body: { file_ids: [fileId] } });
      sandbox.setFaults({ routes: {}, scripted: [{ route: "s3-get", fault: "truncate" }] });
      const response = await request(link.json.url);
      await expect(response.body.arrayBuffer()).rejects.toThrow();
    },
    latency: async () => {
      sandbox.setFaults({ routes: { "list-files": { latency: 1, latencyMs: 100 } } });
      const startedAt = performance.now();
      expect((await call(sandbox, "GET", "/files")).status).toBe(200);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(90);
    },
  };
  it.each(Object.entries(effects))(
    "the fault kind %s does something to the request",
    async (kind, effect) => {
      try {
        await effect();
        expect(sandbox.requests.at(-1)?.fault).toBe(kind);
      } finally {
        sandbox.setFaults(null);
      }
    },
  );
});
