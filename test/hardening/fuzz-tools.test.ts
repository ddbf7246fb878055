// Property-based fuzzing of every tool through the MCP client: random JSON, adversarial values
// in every field, valid calls with one field broken. The server must answer each call (result
// or protocol error) within a timeout, never crash, never leak a stack trace, and must not
// send a single request to Vagon for arguments its own input schema rejects.
import * as fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ErrorCode, McpError, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeArguments } from "../../src/mcp/kit/unknown-arguments.js";
import { TOOLS } from "../../src/mcp/tools/index.js";
import { SEED } from "../../src/sandbox/index.js";
import { toolText, useHarness } from "../helpers/harness.js";
import { listTree } from "./fixtures.js";

const RUNS_PER_TOOL = 100;
const CALL_TIMEOUT_MS = 15_000;

/** A valid call per tool (SPEC §2), the base that mutations break one field at a time. */
const VALID_CALLS: Record<string, Record<string, unknown>> = {
  list_files: { location: "shared" },
  list_machine_content: { machine_id: SEED.runningMachineId, path: "C:\\Users" },
  upload_file: { content: "fuzz", encoding: "utf8", file_name: "fuzz.txt" },
  create_directory: { name: "fuzz-folder" },
  create_upload_link: { file_name: "fuzz.bin", size: 10 },
  complete_upload: { file_id: 987_654, etags: ['"9b2cf535f27731c974343645a3985328"'] },
  download_files: { file_ids: [SEED.sharedTextFileId] },
  download_task_bundle: { task_id: SEED.taskId, wait_seconds: 1 },
  get_download: { download_id: 5085, wait_seconds: 0 },
  cancel_download: { download_id: 987_654 },
  delete_file: { file_id: 987_654 },
  read_file: { file_id: SEED.sharedTextFileId, tail: 5 },
  find_files: { name: "*.txt", parent_id: SEED.projectFolderId },
  storage_usage: { parent_id: SEED.projectFolderId },
  // Without confirm a preview: fuzzed calls delete nothing unless they forge a plan.
  delete_files: { file_ids: [987_654], parent_id: SEED.projectFolderId },
};

const adversarialValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    1,
    -0.5,
    1.5,
    2 ** 31,
    2 ** 53,
    -(2 ** 53),
    1e308,
    "",
    " ",
    "0",
    "-1",
    "1e3",
    "true",
    "null",
    "../../../../etc/passwd",
    "/etc/passwd",
    "C:\\Windows\\System32\\config",
    "\\\\server\\share",
    "a\u0000b",
    "\u202eexe.txt",
    "x".repeat(5000),
    "%2e%2e%2f",
    "shared",
    "machine",
    "recordings",
    "utf8",
    "base64",
    [],
    [0],
    [-1, 1],
    [1, 1, 1],
    {},
    JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
    null,
    true,
    false,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 50 }),
  fc.array(fc.integer(), { maxLength: 5 }),
  fc.jsonValue({ maxDepth: 2 }),
);

function argumentsFor(tool: Tool): fc.Arbitrary<unknown> {
  const fields = Object.keys(tool.inputSchema.properties ?? {});
  const base = VALID_CALLS[tool.name] ?? {};
  const fieldOrExtra = fc.constantFrom(...fields, "unexpected_field", "__proto__", "constructor");
  return fc.oneof(
    // Not even an object, or any JSON object at all.
    fc.jsonValue({ maxDepth: 3 }),
    // Known fields with adversarial values.
    fc.dictionary(fieldOrExtra, adversarialValue, { maxKeys: fields.length + 1 }),
    // A valid call with one field broken, dropped or added.
    fc.tuple(fieldOrExtra, adversarialValue, fc.boolean()).map(([field, value, drop]) => {
      const args: Record<string, unknown> = { ...base };
      if (drop) delete args[field];
      else
        Object.defineProperty(args, field, { value, enumerable: true, writable: true, configurable: true });
      return args;
    }),
  );
}

const { harness, sandbox } = useHarness({
  sandboxOptions: { zipJob: { pendingMs: 10, processingMs: 10 } },
  logLevel: "error",
  callTimeoutMs: CALL_TIMEOUT_MS,
});
let tools: Tool[];
let scratchCwd: string;
let originalCwd: string;
let totalRuns = 0;
const outcomes = { result: 0, toolError: 0, protocolError: 0, schemaInvalid: 0 };

beforeAll(async () => {
  tools = (await harness.mcp.listTools()).tools;
  // Relative paths an agent sends must not land in the working directory: make it a scratch
  // folder outside the root and check it stays empty.
  originalCwd = process.cwd();
  scratchCwd = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "vagon-fuzz-cwd-")));
  process.chdir(scratchCwd);
});

afterAll(async () => {
  if (originalCwd) process.chdir(originalCwd);
  if (scratchCwd) await fs.rm(scratchCwd, { recursive: true, force: true });
  // biome-ignore lint/suspicious/noConsole: the fuzz suite reports how much it tried
  console.log(
    `tool fuzzing: ${totalRuns} runs over ${tools?.length ?? 0} tools — ${outcomes.result} results, ${outcomes.toolError} tool errors, ${outcomes.protocolError} protocol errors; ${outcomes.schemaInvalid} schema-invalid calls sent no request`,
  );
});

describe("fuzzing every tool through the MCP client", () => {
  it("offers every tool of the contract", () => {
    expect(tools.map((tool) => tool.name).sort()).toEqual(Object.keys(VALID_CALLS).sort());
  });

  it.each(Object.keys(VALID_CALLS))(
    "%s answers every call and sends nothing for invalid input",
    async (name) => {
      const tool = tools.find((candidate) => candidate.name === name);
      expect(tool).toBeDefined();
      const validate = new AjvJsonSchemaValidator().getValidator(tool!.inputSchema as never);
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(argumentsFor(tool!), async (args) => {
          runs += 1;
          totalRuns += 1;
          const requestsBefore = sandbox.requests.length;
          // The SDK's request parsing drops an own "__proto__" key before the tool sees the call
          // (it can't name an input), so validity is judged on what the server receives.
          const received =
            typeof args === "object" && args !== null && !Array.isArray(args)
              ? Object.fromEntries(Object.entries(args).filter(([key]) => key !== "__proto__"))
              : args;
          // Judged as the server reads arguments: "100" for an id and "Shared" for an enum are
          // what a model meant (SPEC §2), so they are valid once read.
          const shape = TOOLS.find((candidate) => candidate.name === name)?.inputSchema ?? {};
          const schemaValid =
            typeof received === "object" &&
            received !== null &&
            !Array.isArray(received) &&
            validate(normalizeArguments(received as Record<string, unknown>, shape)).valid;
          let answer: "result" | "tool-error" | "protocol-error";
          try {
            const result = await harness.callTool(name, args as Record<string, unknown>, {
              timeoutMs: CALL_TIMEOUT_MS,
            });
            expect(Array.isArray(result.content)).toBe(true);
            if (result.isError) {
              expect(toolText(result).length).toBeGreaterThan(10);
              expect(toolText(result)).not.toMatch(/\n\s+at |TypeError|ReferenceError|undefined is not/);
              answer = "tool-error";
            } else {
              answer = "result";
            }
          } catch (error) {
            if (!(error instanceof McpError)) throw error;
            // A timeout is a hang; a client-side output-schema failure is a broken result.
            expect(error.code, error.message).not.toBe(ErrorCode.RequestTimeout);
            expect(error.message).not.toMatch(/output schema/i);
            answer = "protocol-error";
          }
          outcomes[
            answer === "result" ? "result" : answer === "tool-error" ? "toolError" : "protocolError"
          ] += 1;
          if (!schemaValid) {
            outcomes.schemaInvalid += 1;
            expect(answer, `schema-invalid ${JSON.stringify(args)?.slice(0, 300)} succeeded`).not.toBe(
              "result",
            );
            expect(
              sandbox.requests.slice(requestsBefore),
              `schema-invalid ${JSON.stringify(args)?.slice(0, 300)} reached Vagon`,
            ).toEqual([]);
          }
        }),
        { numRuns: RUNS_PER_TOOL, seed: 424_242 + name.length, endOnFailure: true },
      );
      // Checked per tool, so no test depends on others having run before it.
      expect(runs).toBe(RUNS_PER_TOOL);
      expect(await listTree(scratchCwd)).toEqual([]);
    },
    60_000,
  );

  it.each([
    ["punctuation only", "!!!"],
    ["text that is not base64", "hello world, this is plain text"],
    ["a data URL", "data:text/plain;base64,aGVsbG8="],
  ])(
    "upload_file refuses base64 content that isn't base64 (%s) instead of uploading other bytes",
    async (_label, content) => {
      const requestsBefore = sandbox.requests.length;
      const result = await harness.callTool("upload_file", {
        content,
        encoding: "base64",
        file_name: `not-base64-${Date.now()}.bin`,
      });
      expect(result.isError, toolText(result)).toBe(true);
      expect(toolText(result)).toMatch(/base64/i);
      expect(sandbox.requests.slice(requestsBefore)).toEqual([]);
    },
  );

  it("leaves the server alive and the working directory untouched", async () => {
    await harness.mcp.ping();
    const result = await harness.callTool("list_files", { location: "shared" });
    expect(result.isError, toolText(result)).toBeFalsy();
    expect(await listTree(scratchCwd)).toEqual([]);
  });
});
