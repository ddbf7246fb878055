// The 2026-07-28 revision on the wire, as raw HTTP: server/discover, the header checks, cache
// hints, and a delete's confirmation carried in requestState from one replica to another —
// where a tampered, foreign or replayed state deletes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { type HttpHarness, startHttpHarness } from "../helpers/http-sessions.js";

const MODERN = "2026-07-28";
const META = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientInfo": { name: "raw-wire", version: "1.0.0" },
  "io.modelcontextprotocol/clientCapabilities": { elicitation: {} },
};

/** A raw tools/call whose _meta asks for (or doesn't ask for) logs: the answer as sent. */
async function callWithLogLevel(url: string, token: string, level: string | undefined) {
  const meta: Record<string, unknown> = { ...META };
  if (level) meta["io.modelcontextprotocol/logLevel"] = level;
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${token}`,
      "mcp-protocol-version": MODERN,
      "mcp-method": "tools/call",
      "mcp-name": "download_files",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: nextId++,
      method: "tools/call",
      params: { name: "download_files", arguments: { file_ids: [SEED.sharedTextFileId] }, _meta: meta },
    }),
  });
  return { contentType: response.headers.get("content-type") ?? "", text: await response.text() };
}

interface Answer {
  status: number;
  body: { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

let nextId = 1;
async function rpc(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const name =
    typeof params.name === "string" ? params.name : typeof params.uri === "string" ? params.uri : null;
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": MODERN,
      "mcp-method": method,
      ...(name ? { "mcp-name": name } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params: { ...params, _meta: META } }),
  });
  return { status: response.status, body: JSON.parse(await response.text()) };
}

const ACCEPT = { confirm: { action: "accept", content: { confirm: true } } };
const DECLINE = { confirm: { action: "decline" } };

describe("2026-07-28 on the wire", () => {
  let sandbox: Sandbox;
  /** Two stateless replicas with the same credentials and token, as behind a balancer. */
  let replicaA: HttpHarness;
  let replicaB: HttpHarness;
  /** Same credentials, another bearer token: another caller. */
  let otherCaller: HttpHarness;
  const token = "replica-token-0123456789abcdef";

  beforeAll(async () => {
    sandbox = await startSandbox();
    replicaA = await startHttpHarness(sandbox, { http: { stateless: true }, token });
    replicaB = await startHttpHarness(sandbox, { http: { stateless: true }, token });
    otherCaller = await startHttpHarness(sandbox, {
      http: { stateless: true },
      token: "another-token-0123456789abcdef",
    });
  });

  afterAll(async () => {
    await Promise.all([replicaA?.close(), replicaB?.close(), otherCaller?.close()]);
    await sandbox?.close();
  });

  const call = (replica: HttpHarness, name: string, args: Record<string, unknown>, extra = {}, as = token) =>
    rpc(replica.server.url, "tools/call", { name, arguments: args, ...extra }, { token: as });

  async function uploadFile(name: string): Promise<number> {
    const answer = await call(replicaA, "upload_file", {
      content: name,
      file_name: name,
      location: "shared",
    });
    const text = JSON.stringify(answer.body.result);
    return Number(/id=(\d+)/.exec(text)?.[1]);
  }

  async function sharedNames(): Promise<string> {
    return JSON.stringify((await call(replicaB, "list_files", { location: "shared" })).body.result);
  }

  it("answers server/discover with the revision, capabilities and instructions, cacheable for a day", async () => {
    const { status, body } = await rpc(replicaA.server.url, "server/discover", {}, { token });
    expect(status).toBe(200);
    expect(body.result).toMatchObject({
      supportedVersions: [MODERN],
      capabilities: { tools: {}, resources: {}, prompts: {}, logging: {} },
      ttlMs: 86_400_000,
      cacheScope: "public",
    });
    expect(String(body.result?.instructions)).toContain("list_files");
  });

  it("refuses with 400 and says which header disagrees with the body", async () => {
    const method = await rpc(
      replicaA.server.url,
      "tools/list",
      {},
      { token, headers: { "mcp-method": "tools/call" } },
    );
    expect(method.status).toBe(400);
    expect(method.body.error?.message).toMatch(
      /body names method tools\/list but the Mcp-Method header names tools\/call/,
    );
    const name = await rpc(
      replicaA.server.url,
      "tools/call",
      { name: "list_files", arguments: {} },
      { token, headers: { "mcp-name": "delete_file" } },
    );
    expect(name.status).toBe(400);
    expect(name.body.error?.message).toMatch(/Mcp-Name/i);
  });

  it("puts cache hints on the list results: the fixed lists for a day, the live ones briefly and privately", async () => {
    const url = replicaA.server.url;
    expect((await rpc(url, "tools/list", {}, { token })).body.result).toMatchObject({
      ttlMs: 86_400_000,
      cacheScope: "public",
    });
    expect((await rpc(url, "prompts/list", {}, { token })).body.result).toMatchObject({
      ttlMs: 86_400_000,
      cacheScope: "public",
    });
    expect((await rpc(url, "resources/list", {}, { token })).body.result).toMatchObject({
      ttlMs: 30_000,
      cacheScope: "private",
    });
    const read = await rpc(
      url,
      "resources/read",
      { uri: `vagon://files/${SEED.sharedTextFileId}` },
      { token },
    );
    expect(read.body.result).toMatchObject({ ttlMs: 0, cacheScope: "private" });
    const missing = await rpc(url, "resources/read", { uri: "vagon://files/999999" }, { token });
    expect(missing.body.error?.code).toBe(-32602);
  });

  it("logs on the call's own stream only at the level its _meta asks for", async () => {
    const quiet = await callWithLogLevel(replicaA.server.url, token, undefined);
    expect(quiet.contentType).toContain("application/json");
    expect(quiet.text).not.toContain("notifications/message");
    const chatty = await callWithLogLevel(replicaA.server.url, token, "debug");
    expect(chatty.contentType).toContain("text/event-stream");
    expect(chatty.text).toMatch(/"method":"notifications\/message".*"path":"\/files\/download"/);
    const errorsOnly = await callWithLogLevel(replicaA.server.url, token, "error");
    expect(errorsOnly.text).not.toContain("notifications/message");
  });

  it("asks on one replica and deletes on the other when the retry carries the user's yes", async () => {
    const fileId = await uploadFile("across-replicas.txt");
    const first = await call(replicaA, "delete_file", { file_id: fileId });
    expect(first.body.result).toMatchObject({ resultType: "input_required" });
    const ask = first.body.result as {
      inputRequests: { confirm: { params: { message: string } } };
      requestState: string;
    };
    expect(ask.inputRequests.confirm.params.message).toContain("across-replicas.txt");
    expect(await sharedNames()).toContain("across-replicas.txt");
    const retry = await call(
      replicaB,
      "delete_file",
      { file_id: fileId },
      { inputResponses: ACCEPT, requestState: ask.requestState },
    );
    expect(retry.body.result).toMatchObject({ structuredContent: { file_id: fileId, deleted: true } });
    expect(await sharedNames()).not.toContain("across-replicas.txt");
  });

  it("keeps the file when the answer is no", async () => {
    const fileId = await uploadFile("declined.txt");
    const ask = (await call(replicaA, "delete_file", { file_id: fileId })).body.result as {
      requestState: string;
    };
    const retry = await call(
      replicaB,
      "delete_file",
      { file_id: fileId },
      { inputResponses: DECLINE, requestState: ask.requestState },
    );
    expect(JSON.stringify(retry.body.result)).toContain("Not deleted");
    expect(await sharedNames()).toContain("declined.txt");
  });

  it("deletes nothing with a tampered state, a state minted for another file, or another caller's state", async () => {
    const fileId = await uploadFile("guarded.txt");
    const otherId = await uploadFile("bystander.txt");
    const ask = (await call(replicaA, "delete_file", { file_id: fileId })).body.result as {
      requestState: string;
    };

    const [version, payload, mac] = ask.requestState.split(".") as [string, string, string];
    const forged = Buffer.from(payload, "base64url")
      .toString()
      .replace(`delete_file ${fileId}`, `delete_file ${otherId}`);
    const tampered = `${version}.${Buffer.from(forged).toString("base64url")}.${mac}`;
    const refused = await call(
      replicaB,
      "delete_file",
      { file_id: otherId },
      { inputResponses: ACCEPT, requestState: tampered },
    );
    expect(refused.body.error).toMatchObject({ code: -32602, message: "Invalid or expired requestState" });

    // Genuine, but for guarded.txt: used for bystander.txt it only asks again.
    const misused = await call(
      replicaB,
      "delete_file",
      { file_id: otherId },
      { inputResponses: ACCEPT, requestState: ask.requestState },
    );
    expect(misused.body.result).toMatchObject({ resultType: "input_required" });

    // Genuine, for this file, but minted for another caller (another bearer token).
    const foreign = await call(
      otherCaller,
      "delete_file",
      { file_id: fileId },
      { inputResponses: ACCEPT, requestState: ask.requestState },
      "another-token-0123456789abcdef",
    );
    expect(foreign.body.error).toMatchObject({ code: -32602 });

    // A yes without our state is a question not yet asked.
    const bare = await call(replicaB, "delete_file", { file_id: fileId }, { inputResponses: ACCEPT });
    expect(bare.body.result).toMatchObject({ resultType: "input_required" });

    const names = await sharedNames();
    expect(names).toContain("guarded.txt");
    expect(names).toContain("bystander.txt");
  });

  it("carries out a delete_files plan once: the replayed confirmation deletes nothing more", async () => {
    const ids = [await uploadFile("plan-a.txt"), await uploadFile("plan-b.txt")];
    const preview = await call(replicaA, "delete_files", { file_ids: ids });
    const planId = (preview.body.result as { structuredContent: { plan_id: string } }).structuredContent
      .plan_id;
    const ask = await call(replicaA, "delete_files", { file_ids: ids, confirm: planId });
    const { requestState, inputRequests } = ask.body.result as {
      requestState: string;
      inputRequests: { confirm: { params: { message: string } } };
    };
    expect(inputRequests.confirm.params.message).toMatch(
      /Delete 2 items \(\d+ bytes\) from Vagon Files: plan-a\.txt, plan-b\.txt/,
    );
    const retry = { inputResponses: ACCEPT, requestState };
    const done = await call(replicaB, "delete_files", { file_ids: ids, confirm: planId }, retry);
    expect((done.body.result as { structuredContent: { deleted: number } }).structuredContent.deleted).toBe(
      2,
    );
    const replayed = await call(replicaA, "delete_files", { file_ids: ids, confirm: planId }, retry);
    expect(
      (replayed.body.result as { structuredContent: { status: string } }).structuredContent.status,
    ).not.toBe("done");
    expect(JSON.stringify(replayed.body.result)).not.toMatch(/"deleted":[1-9]/);
  });
});
