// Issue 19 item 13: Vagon's zip job ids are small sequential numbers, and any HTTP session could
// cancel_download another's job. Now over HTTP a cancel aborts only a job this server started
// for the same principal (who the credentials say the caller is), unless the operator allows
// foreign cancels (--allow-foreign-cancel); every cancel, done or refused, is logged with the
// principal and the job id, never a session id or a secret. Two real Streamable HTTP clients,
// told apart by a test principalOf (the seam OAuth subjects extend).
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, SEED, startSandbox } from "../../src/sandbox/index.js";
import { toolText } from "../helpers/harness.js";
import {
  type HttpHarness,
  type HttpSession,
  openHttpSession,
  startHttpHarness,
} from "../helpers/http-sessions.js";

let sandbox: Sandbox;

beforeAll(async () => {
  // Jobs stay queued for the whole test: only a cancel can end them.
  sandbox = await startSandbox({ zipJob: { pendingMs: 600_000, processingMs: 600_000 } });
});

afterAll(async () => {
  await sandbox?.close();
});

const principalOf = (req: IncomingMessage) => `user:${String(req.headers["x-test-user"] ?? "nobody")}`;

async function twoUsers(allowForeignCancel: boolean) {
  const harness = await startHttpHarness(sandbox, {
    http: { allowForeignCancel },
    server: { principalOf },
  });
  const alice = await openHttpSession(harness.server.url, {
    name: "alice",
    headers: { "x-test-user": "alice" },
  });
  const bob = await openHttpSession(harness.server.url, { name: "bob", headers: { "x-test-user": "bob" } });
  return { harness, alice, bob };
}

async function startJob(session: HttpSession): Promise<number> {
  const started = await session.call("download_files", {
    file_ids: [SEED.briefFileId, SEED.dataCsvFileId],
    wait_seconds: 0,
  });
  expect(started.isError, toolText(started)).toBeFalsy();
  return (started.structuredContent as { download_id: number }).download_id;
}

async function closeAll(harness: HttpHarness, ...sessions: HttpSession[]) {
  for (const session of sessions) await session.close();
  await harness.close();
}

describe("cancel_download over HTTP", () => {
  it("refuses another principal's job and a job this server didn't start; cancels the caller's own", async () => {
    const { harness, alice, bob } = await twoUsers(false);
    try {
      const alicesJob = await startJob(alice);
      const refused = await bob.call("cancel_download", { download_id: alicesJob });
      expect(refused.isError).toBe(true);
      expect(toolText(refused)).toMatch(/wasn't started through this server by you.*--allow-foreign-cancel/);
      expect(sandbox.getJob(alicesJob)?.status).toBe("pending");

      // A job started elsewhere (another replica, another tool) is no one's here.
      const elsewhere = await harness.vagon.startDownload({
        fileIds: [SEED.briefFileId, SEED.dataCsvFileId],
      });
      const jobElsewhere = elsewhere.kind === "job" ? elsewhere.downloadId : -1;
      expect((await alice.call("cancel_download", { download_id: jobElsewhere })).isError).toBe(true);
      expect(sandbox.getJob(jobElsewhere)?.status).toBe("pending");

      const own = await alice.call("cancel_download", { download_id: alicesJob });
      expect(own.isError, toolText(own)).toBeFalsy();
      expect(sandbox.getJob(alicesJob)?.status).toBe("cancelled");

      const logged = harness.processLogs.map((record) => record.message);
      expect(logged).toContain(`zip job ${alicesJob} cancelled by user:alice`);
      expect(logged).toContain(
        `cancel_download refused: zip job ${alicesJob} was not started here by user:bob`,
      );
      const everything = JSON.stringify(harness.processLogs);
      expect(everything).not.toContain(alice.sessionId);
      expect(everything).not.toContain(bob.sessionId);
    } finally {
      await closeAll(harness, alice, bob);
    }
  });

  it("with --allow-foreign-cancel, any caller may cancel any job, and it is logged who did", async () => {
    const { harness, alice, bob } = await twoUsers(true);
    try {
      const alicesJob = await startJob(alice);
      const cancelled = await bob.call("cancel_download", { download_id: alicesJob });
      expect(cancelled.isError, toolText(cancelled)).toBeFalsy();
      expect(sandbox.getJob(alicesJob)?.status).toBe("cancelled");
      expect(harness.processLogs.map((record) => record.message)).toContain(
        `zip job ${alicesJob} cancelled by user:bob`,
      );
    } finally {
      await closeAll(harness, alice, bob);
    }
  });
});
