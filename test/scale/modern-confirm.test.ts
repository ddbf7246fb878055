// SPEC §5 with a 2026-07-28 client behind a real load balancer: three `--stateless` replicas (the
// built server, each its own process) behind nginx serving deploy/nginx.conf. A delete asks
// through input_required; while the user is being asked, the replica that asked is SIGKILLed, so
// the retry carrying the answer and the requestState can only land on the other replica — which
// carries it out. nginx's own access log says where each round went.
import * as fs from "node:fs";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { findNginx, type Nginx, startNginx } from "../helpers/nginx.js";
import { CLI_PATH, freePort, type Replica, startReplica } from "../helpers/replicas.js";

const nginxBinary = findNginx("a 2026-07-28 delete confirmed across replicas behind nginx (test/scale)");

describe.skipIf(nginxBinary === null)("a 2026-07-28 delete confirmed across --stateless replicas", () => {
  let sandbox: Sandbox;
  let nginx: Nginx;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    fs.accessSync(CLI_PATH); // `npm test` builds before vitest runs.
    sandbox = await startSandbox();
    const ports = [await freePort(), await freePort(), await freePort()];
    await Promise.all([
      ...ports.map(async (port, index) => {
        replicas[index] = await startReplica({ sandbox, port, logLevel: "info" });
      }),
      (async () => {
        nginx = await startNginx({
          binary: nginxBinary as string,
          upstreamPorts: ports,
          listenPort: await freePort(),
        });
      })(),
    ]);
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(replicas.map((replica) => replica.stop()));
    await sandbox?.close();
  });

  it("the replica that asked dies while the user answers; the retry is carried out by the other", async () => {
    const fileId = await sandbox.addFile({
      parentId: sandbox.rootId(),
      name: "mid-confirmation.txt",
      content: "x",
    });
    let callId = "setup";
    const client = new Client(
      { name: "modern-behind-nginx", version: "1.0.0" },
      { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    const asked: string[] = [];
    let killed: Replica | undefined;
    client.setRequestHandler("elicitation/create", async (request) => {
      asked.push((request.params as { message: string }).message);
      // Mid-confirmation: the replica that answered input_required goes away before the retry.
      const [served] = (await nginx.upstreamsByCall()).get("ask") ?? [];
      killed = replicas.find((replica) => served === `127.0.0.1:${replica.port}`);
      expect(killed, `nginx says the question came from ${served}`).toBeDefined();
      await killed!.stop();
      callId = "retry";
      return { action: "accept", content: { confirm: true } };
    });
    const transport = new StreamableHTTPClientTransport(new URL(nginx.url), {
      fetch: (url, init) => {
        const headers = new Headers(init?.headers);
        headers.set("x-call-id", callId);
        return fetch(url, { ...init, headers });
      },
    });
    await client.connect(transport);
    try {
      callId = "ask";
      const result = await client.callTool({ name: "delete_file", arguments: { file_id: fileId } });
      expect(asked).toHaveLength(1);
      expect(asked[0]).toContain("mid-confirmation.txt");
      expect(result.structuredContent).toMatchObject({ file_id: fileId, deleted: true });
      const routes = await nginx.upstreamsByCall();
      const retriedOn = routes.get("retry")?.at(-1);
      expect(retriedOn).toBeDefined();
      expect(retriedOn).not.toBe(`127.0.0.1:${killed!.port}`);
      expect(sandbox.getEntry(fileId)?.deleted).toBe(true);
    } finally {
      await client.close();
    }
  });
});
