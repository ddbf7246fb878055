// SPEC §5, issue 19 item 4: a `--stateless` replica serves each request with a fresh server that
// never saw the client's capabilities, so it can't ask an `initialize`-era client to confirm a
// delete. It used to skip the question and delete; now such a delete is refused with the ways
// out, unless the operator started it with --allow-unconfirmed-deletes (then said in the
// server's instructions). Stateful mode still asks. The client here supports elicitation and
// declines every question, through a real Streamable HTTP client.
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { toolText } from "../helpers/harness.js";
import {
  type HttpHarness,
  type HttpSession,
  openHttpSession,
  startHttpHarness,
} from "../helpers/http-sessions.js";

let sandbox: Sandbox;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await sandbox?.close();
});

/** Two folders with a file each, to be deleted (or not). */
async function twoFolders(): Promise<[number, number]> {
  const folders: number[] = [];
  for (const name of ["Old renders A", "Old renders B"]) {
    const folderId = sandbox.addDirectory({ parentId: sandbox.rootId(), name: `${name} ${Math.random()}` });
    await sandbox.addFile({ parentId: folderId, name: "frame.exr", content: "pixels" });
    folders.push(folderId);
  }
  return folders as [number, number];
}

async function decliningClient(
  http: Partial<Config["http"]>,
): Promise<{ harness: HttpHarness; session: HttpSession; questions: string[] }> {
  const harness = await startHttpHarness(sandbox, { http });
  cleanups.push(() => harness.close());
  const questions: string[] = [];
  const session = await openHttpSession(
    harness.server.url,
    { capabilities: { elicitation: {} }, stateless: http.stateless === true },
    (client) =>
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        questions.push(request.params.message);
        return { action: "decline" };
      }),
  );
  cleanups.push(() => session.close());
  return { harness, session, questions };
}

const isDeleted = (id: number) => sandbox.getEntry(id)?.deleted === true;

describe("a client that declines every question", () => {
  it("over --stateless: nothing is deleted, and the refusal names the ways out", async () => {
    const [first, second] = await twoFolders();
    const { session, questions } = await decliningClient({ stateless: true });

    const single = await session.call("delete_file", { file_id: first });
    expect(single.isError).toBe(true);
    expect(toolText(single)).toMatch(/^Nothing was deleted: this server runs stateless \(--stateless\)/);
    expect(toolText(single)).toMatch(
      /2026-07-28.*stateful mode.*Mcp-Session-Id.*--allow-unconfirmed-deletes/,
    );

    const preview = await session.call("delete_files", { file_ids: [second] });
    expect(preview.isError, toolText(preview)).toBeFalsy();
    const planId = (preview.structuredContent as { plan_id: string }).plan_id;
    const confirmed = await session.call("delete_files", { file_ids: [second], confirm: planId });
    expect(confirmed.isError).toBe(true);
    expect(toolText(confirmed)).toMatch(/--allow-unconfirmed-deletes/);

    expect(isDeleted(first)).toBe(false);
    expect(isDeleted(second)).toBe(false);
    expect(questions).toEqual([]);
  });

  it("over --stateless with --allow-unconfirmed-deletes: deleted, as the instructions say", async () => {
    const [first, second] = await twoFolders();
    const { session } = await decliningClient({ stateless: true, allowUnconfirmedDeletes: true });
    expect(session.client.getInstructions()).toMatch(/--allow-unconfirmed-deletes/);

    const single = await session.call("delete_file", { file_id: first });
    expect(single.isError, toolText(single)).toBeFalsy();
    const preview = await session.call("delete_files", { file_ids: [second] });
    const planId = (preview.structuredContent as { plan_id: string }).plan_id;
    const confirmed = await session.call("delete_files", { file_ids: [second], confirm: planId });
    expect(confirmed.structuredContent).toMatchObject({ status: "deleted", deleted: 1 });

    expect(isDeleted(first)).toBe(true);
    expect(isDeleted(second)).toBe(true);
  });

  it("over sessions (stateful): asked twice, nothing deleted, the flag changing nothing", async () => {
    const [first, second] = await twoFolders();
    const { session, questions } = await decliningClient({ stateless: false, allowUnconfirmedDeletes: true });

    const single = await session.call("delete_file", { file_id: first });
    expect(toolText(single)).toMatch(/Not deleted: the user did not confirm/);
    const preview = await session.call("delete_files", { file_ids: [second] });
    const planId = (preview.structuredContent as { plan_id: string }).plan_id;
    const confirmed = await session.call("delete_files", { file_ids: [second], confirm: planId });
    expect(confirmed.structuredContent).toMatchObject({ status: "declined", deleted: 0 });

    expect(questions).toHaveLength(2);
    expect(isDeleted(first)).toBe(false);
    expect(isDeleted(second)).toBe(false);
  });
});
