// SPEC §5 with a real load balancer: three `--stateless` replicas (the built server, each its own
// process) behind nginx serving deploy/nginx.conf, against one sandbox. 50 client sessions × 10
// calls (listings, small uploads, single-file links) run while one replica is SIGKILLed and
// another SIGTERMed and restarted. Chaos is triggered by how many calls have completed, never by
// time, and nothing asserts on timing.
//   SCALE_SESSIONS=100 SCALE_CALLS=20   a bigger run (defaults 50 and 10)
import * as fs from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { findNginx, type Nginx, startNginx } from "../helpers/nginx.js";
import { briefKeepAliveFetch, CLI_PATH, freePort, type Replica, startReplica } from "../helpers/replicas.js";

const SUITE = "test/scale/load-balancer.test.ts";
// Enough that every replica has calls in flight when it is killed or stopped (dozens at the kill);
// what is proven does not grow with the count, and bench/load.ts is where load is measured.
const SESSIONS = Number(process.env.SCALE_SESSIONS ?? 50);
const CALLS_PER_SESSION = Number(process.env.SCALE_CALLS ?? 10);
/** Per call: a call that neither answers nor fails by then counts as a hang. */
const CALL_TIMEOUT_MS = 30_000;
const HELD_MS = 60 * 60 * 1000;
/**
 * As deploy/nginx.conf asks: its upstream keepalive_timeout (4 s) plus the slowest call (up to ~3 s
 * on a loaded 2-core machine; the summary line prints it) under the bound. The zip wait held on
 * the stopped replica answers 2 s before it: the test waits those 6 s, so no more than needed.
 */
const DRAIN_SECONDS = 8;

const nginxBinary = findNginx("replicas behind nginx (test/scale)");

interface CallRecord {
  id: number;
  tool: string;
  ok: boolean;
  error: string | null;
  /** upload_file only: what was sent. */
  upload?: { fileName: string; content: string };
  /** The chaos phase when the call started → when it settled (for the failure message). */
  phases: string;
}

describe.skipIf(nginxBinary === null)("three --stateless replicas behind nginx", () => {
  let sandbox: Sandbox;
  let nginx: Nginx;
  const replicas: Replica[] = [];
  let listFolderId: number;
  let uploadFolderId: number;
  let zipFolderId: number;
  let linkFileId: number;
  let trashIds: number[];

  beforeAll(async () => {
    fs.accessSync(CLI_PATH); // `npm test` builds before vitest runs.
    sandbox = await startSandbox({ zipJob: { pendingMs: 0, processingMs: HELD_MS } });
    const root = sandbox.rootId();
    listFolderId = sandbox.addDirectory({ parentId: root, name: "Scale frames" });
    for (let index = 0; index < 40; index++) {
      await sandbox.addFile({
        parentId: listFolderId,
        name: `frame-${index}.exr`,
        content: `frame ${index}`,
      });
    }
    linkFileId = await sandbox.addFile({ parentId: listFolderId, name: "notes.txt", content: "notes" });
    uploadFolderId = sandbox.addDirectory({ parentId: root, name: "Uploads" });
    zipFolderId = sandbox.addDirectory({ parentId: root, name: "Bundle" });
    await sandbox.addFile({ parentId: zipFolderId, name: "a.txt", content: "a" });
    await sandbox.addFile({ parentId: zipFolderId, name: "b.txt", content: "b" });
    const trashFolderId = sandbox.addDirectory({ parentId: root, name: "Trash" });
    trashIds = [];
    for (const name of ["old-1.log", "old-2.log", "old-3.log"]) {
      trashIds.push(await sandbox.addFile({ parentId: trashFolderId, name, content: name }));
    }

    const ports = [await freePort(), await freePort(), await freePort()];
    const listenPort = await freePort();
    // The three replicas and nginx start at once: nginx needs only their ports, not their answers.
    // Each is recorded as soon as it runs, so afterAll stops it even if another failed to start.
    await Promise.all([
      ...ports.map(async (port, index) => {
        replicas[index] = await startReplica({
          sandbox,
          port,
          drainSeconds: DRAIN_SECONDS,
          // The plan hand-over below is unattended automation: these replicas can't ask an
          // initialize-era client, and without the opt-in refuse its deletes (stateless-deletes.test.ts).
          allowUnconfirmedDeletes: true,
          logLevel: "info",
        });
      }),
      (async () => {
        nginx = await startNginx({ binary: nginxBinary as string, upstreamPorts: ports, listenPort });
      })(),
    ]);
  });

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(replicas.map((replica) => replica.stop()));
    await sandbox?.close();
  });

  it(`${SESSIONS} sessions × ${CALLS_PER_SESSION} calls survive a SIGKILL and a SIGTERM + restart`, async () => {
    const [killed, restarted, steady] = replicas as [Replica, Replica, Replica];
    // Every request names the call it belongs to (X-Call-Id), so nginx's access log tells which
    // replica each call reached. A session makes one call at a time, so one id per session will do.
    const currentCall = new Map<Client, number>();
    const [handover, clients] = await Promise.all([
      // A zip wait running on the replica when it is told to stop: it must hand back its id. It
      // is held (HELD_MS) from the start, so it is already waiting whenever the SIGTERM comes.
      startHeldZipWait(restarted),
      Promise.all(
        Array.from({ length: SESSIONS }, async () => {
          const client = new Client({ name: "scale-test", version: "1.0.0" });
          const taggedFetch = (url: string | URL, init?: RequestInit) => {
            const headers = new Headers(init?.headers);
            headers.set("x-call-id", String(currentCall.get(client) ?? "-"));
            return fetch(url, { ...init, headers });
          };
          await client.connect(new StreamableHTTPClientTransport(new URL(nginx.url), { fetch: taggedFetch }));
          return client;
        }),
      ),
    ]);
    // find_files and delete_files (issue 10) join the story once the server offers them.
    const toolNames = new Set((await (clients[0] as Client).listTools()).tools.map((tool) => tool.name));
    const hasFind = toolNames.has("find_files");
    const hasDeleteFiles = toolNames.has("delete_files");

    const total = SESSIONS * CALLS_PER_SESSION;
    const records: CallRecord[] = [];
    const inFlight = new Set<number>();
    // Calls in flight when SIGKILL was sent, or started before the process was seen gone.
    const inFlightAtKill = new Set<number>();
    let killWindowOpen = false;
    let phase = "before";
    let stoppedReplicaLog = "";
    let completed = 0;
    let nextId = 0;
    let chaos: Promise<void> = Promise.resolve();
    let slowestCallMs = 0;

    // Chaos at fixed points of progress: a quarter done, SIGKILL; half done, SIGTERM and restart.
    const onCompleted = () => {
      completed += 1;
      if (completed === Math.floor(total / 4)) {
        for (const id of inFlight) inFlightAtKill.add(id);
        killWindowOpen = true;
        phase = "kill";
        killed.signal("SIGKILL");
        void killed.exited.then(() => {
          killWindowOpen = false;
          phase = "after-kill";
        });
      }
      if (completed === Math.floor(total / 2)) {
        chaos = (async () => {
          const { downloadId } = handover;
          phase = "drain";
          restarted.signal("SIGTERM");
          expect(await restarted.exited).toEqual({ code: 0, signal: null });
          stoppedReplicaLog = restarted.stderr();
          phase = "restarting";
          expect(sandbox.getJob(downloadId)?.status).toBe("processing");
          const again = await startReplica({
            sandbox,
            port: restarted.port,
            drainSeconds: DRAIN_SECONDS,
            allowUnconfirmedDeletes: true,
            logLevel: "warn",
          });
          replicas[1] = again;
          phase = "restarted";
        })();
      }
    };

    async function startHeldZipWait(target: Replica) {
      const client = new Client({ name: "scale-zip", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(target.url), { fetch: briefKeepAliveFetch() }),
      );
      const before = sandbox.requests.length;
      const answer = client.callTool(
        { name: "download_files", arguments: { directory_id: zipFolderId, wait_seconds: 600 } },
        undefined,
        { timeout: CALL_TIMEOUT_MS },
      ) as Promise<CallToolResult>;
      await expect
        .poll(() => sandbox.requests.slice(before).find((request) => request.route === "download-status"), {
          timeout: CALL_TIMEOUT_MS,
        })
        .toBeTruthy();
      const poll = sandbox.requests.slice(before).find((request) => request.route === "download-status");
      const downloadId = Number(/downloads\/(\d+)/.exec(poll?.path ?? "")?.[1]);
      return { downloadId, answer: answer.finally(() => client.close().catch(() => {})) };
    }

    const call = async (client: Client, session: number, index: number): Promise<void> => {
      const id = nextId++;
      const kind = index % 4;
      const record: CallRecord = { id, tool: "", ok: false, error: null, phases: phase };
      let args: Record<string, unknown>;
      if (kind === 0) {
        record.tool = "list_files";
        args = { parent_id: listFolderId };
      } else if (kind === 1) {
        record.tool = "upload_file";
        const upload = {
          fileName: `s${session}-c${index}.txt`,
          content: `session ${session} call ${index}\n`,
        };
        record.upload = upload;
        args = {
          content: upload.content,
          encoding: "utf8",
          parent_id: uploadFolderId,
          file_name: upload.fileName,
        };
      } else if (kind === 2) {
        record.tool = "download_files";
        args = { file_ids: [linkFileId] };
      } else if (hasFind && index % 8 === 3) {
        record.tool = "find_files";
        args = { parent_id: listFolderId, name: "frame-1*" };
      } else {
        record.tool = "list_files";
        args = { location: "shared", query: "frame-1" };
      }
      inFlight.add(id);
      currentCall.set(client, id);
      if (killWindowOpen) inFlightAtKill.add(id);
      const startedMs = performance.now();
      try {
        const result = (await client.callTool({ name: record.tool, arguments: args }, undefined, {
          timeout: CALL_TIMEOUT_MS,
        })) as CallToolResult;
        record.ok = !result.isError;
        if (result.isError) record.error = JSON.stringify(result.content);
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      } finally {
        slowestCallMs = Math.max(slowestCallMs, performance.now() - startedMs);
        inFlight.delete(id);
        record.phases += ` → ${phase}`;
        records.push(record);
        onCompleted();
      }
    };

    await Promise.all(
      clients.map(async (client, session) => {
        for (let index = 0; index < CALLS_PER_SESSION; index++) await call(client, session, index);
      }),
    );
    await chaos;
    await Promise.all(clients.map((client) => client.close().catch(() => {})));

    // No call failed but those in flight on the killed replica, and each of those clearly. nginx
    // may also hand a call to the dead replica over a kept-alive connection it has not yet seen
    // closed (and, for a POST that left, rightly does not resend it): its access log says so.
    const failures = records.filter((record) => !record.ok);
    expect(records).toHaveLength(total);
    const upstreamsByCall = await nginx.upstreamsByCall();
    const killedAddress = `127.0.0.1:${killed.port}`;
    const reachedKilled = (id: number) => upstreamsByCall.get(String(id))?.at(-1) === killedAddress;
    for (const failure of failures) {
      expect(
        inFlightAtKill.has(failure.id) || reachedKilled(failure.id),
        `${failure.tool} failed (${failure.phases}) while no replica was being killed: ${failure.error}\n${await nginx.errorLog()}\n${stoppedReplicaLog}`,
      ).toBe(true);
      expect(failure.error).toMatch(/502 Bad Gateway/);
    }

    // The zip wait on the stopped replica handed back its id; another replica finishes the job.
    const { downloadId } = handover;
    const answer = await handover.answer;
    expect(answer.isError, JSON.stringify(answer.content)).toBeFalsy();
    expect(answer.structuredContent).toMatchObject({ status: "processing", download_id: downloadId });
    sandbox.releaseZipJob(downloadId);
    const finisher = new Client({ name: "scale-finisher", version: "1.0.0" });
    await finisher.connect(new StreamableHTTPClientTransport(new URL(steady.url)));
    const picked = (await finisher.callTool({
      name: "get_download",
      arguments: { download_id: downloadId, wait_seconds: 30 },
    })) as CallToolResult;
    await finisher.close();
    expect(picked.isError, JSON.stringify(picked.content)).toBeFalsy();
    expect(picked.structuredContent).toMatchObject({ status: "uploaded", download_id: downloadId });

    // Every upload completed with exactly its bytes, or left no completed entry. A call whose
    // answer died with the killed replica may still have completed; a replica killed between
    // creating the entry and completing it leaves a pending_upload entry no process can remove.
    const children = sandbox.children(uploadFolderId);
    const uploaded = new Map(children.map((entry) => [entry.name, entry]));
    expect(uploaded.size, "an upload created two entries").toBe(children.length);
    let pendingLeftovers = 0;
    let completedButLost = 0;
    for (const record of records.filter((candidate) => candidate.upload)) {
      const upload = record.upload as { fileName: string; content: string };
      const entry = uploaded.get(upload.fileName);
      if (record.ok || entry?.status === "upload_completed") {
        expect(entry?.status, upload.fileName).toBe("upload_completed");
        expect((await sandbox.readFile(entry?.id as number)).toString("utf8")).toBe(upload.content);
        if (!record.ok) completedButLost += 1;
      } else if (entry) {
        expect(entry.status, upload.fileName).toBe("pending_upload");
        pendingLeftovers += 1;
      }
    }

    // A delete_files plan previewed on one replica is confirmed on another (plans are stateless).
    if (hasDeleteFiles) {
      const previewer = new Client({ name: "scale-preview", version: "1.0.0" });
      await previewer.connect(new StreamableHTTPClientTransport(new URL(steady.url)));
      const preview = (await previewer.callTool({
        name: "delete_files",
        arguments: { file_ids: trashIds },
      })) as CallToolResult;
      await previewer.close();
      expect(preview.structuredContent).toMatchObject({ status: "preview", count: trashIds.length });
      const planId = (preview.structuredContent as { plan_id: string }).plan_id;
      const confirmer = new Client({ name: "scale-confirm", version: "1.0.0" });
      await confirmer.connect(new StreamableHTTPClientTransport(new URL((replicas[1] as Replica).url)));
      const confirmed = (await confirmer.callTool({
        name: "delete_files",
        arguments: { file_ids: trashIds, confirm: planId },
      })) as CallToolResult;
      await confirmer.close();
      expect(confirmed.isError, JSON.stringify(confirmed.content)).toBeFalsy();
      expect(confirmed.structuredContent).toMatchObject({ status: "deleted", deleted: trashIds.length });
      for (const id of trashIds) expect(sandbox.getEntry(id)?.deleted).toBe(true);
    } else {
      process.stderr.write(
        `  · ${SUITE}: this build has no delete_files (issue 10); plan hand-over not run\n`,
      );
    }

    // The restarted replica serves again, and so does the balancer.
    const probe = new Client({ name: "scale-probe", version: "1.0.0" });
    await probe.connect(new StreamableHTTPClientTransport(new URL((replicas[1] as Replica).url)));
    expect((await probe.listTools()).tools.length).toBeGreaterThan(0);
    await probe.close();

    process.stderr.write(
      `  · ${SUITE}: ${total} calls, ${failures.length} failed (all in flight on the SIGKILLed replica, ` +
        `${inFlightAtKill.size} were); of its uploads ${completedButLost} completed (answer lost), ` +
        `${pendingLeftovers} left a pending_upload entry; slowest call ${Math.round(slowestCallMs)} ms\n`,
    );
  }, 240_000);
});
