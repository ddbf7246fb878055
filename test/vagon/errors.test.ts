import { describe, expect, it } from "vitest";
import {
  apiError,
  type ErrorContext,
  effectiveCode,
  explainAbort,
  explainApiError,
  explainInvalidResponse,
  explainTransportError,
  isAbortError,
  safeServerText,
  VagonError,
  type VagonOperation,
} from "../../src/vagon/errors.js";
import { networkCodeOf } from "../../src/vagon/retry.js";

const secret = "vs_live_S3cr3tV4lue_do_not_leak";
const context: ErrorContext = {
  machineId: 200,
  fileId: 31,
  parentId: 12,
  downloadId: 9,
  name: "report.pdf",
  sizeBytes: 5_000_000,
  path: "C:\\Users",
};

// Every code files-api.md (and the older revision, 4110) documents, per endpoint, plus the
// answers any endpoint can give.
const documented: Record<VagonOperation, number[]> = {
  "list-content": [400, 404, 4710],
  "list-files": [400, 404, 4710, 4110],
  "list-machine-files": [400, 404, 4710, 4110],
  "list-recordings": [400, 403, 404, 4710],
  "create-file": [400, 404, 450, 451, 4710, 4110],
  "create-directory": [400, 404, 450, 451, 4710, 4110],
  "complete-upload": [400, 404, 450, 452, 4710, 4110],
  "delete-file": [400, 404, 450, 4710, 4110],
  "start-download": [400, 404, 4710, 4717, 4718, 4719, 4720, 4722],
  "get-download": [400, 404, 4710],
  "abort-download": [400, 404, 4710, 4716],
};
const everywhere = [401, 403, 418, 429, 500, 502, 503, 504];

// A next step is an instruction: these verbs open the advice sentences of the table.
const NEXT_STEP =
  /\b(try again|check|list|choose|upload|start|free up|wait|fix|send|ask|delete|use|renew|restart|make fewer)\b/i;

const cases = Object.entries(documented).flatMap(([operation, codes]) =>
  [...codes, ...everywhere].map((code) => ({ operation: operation as VagonOperation, code })),
);

describe("every documented code has a one-paragraph explanation with a next step", () => {
  it.each(cases)("$operation → $code", ({ operation, code }) => {
    // Vagon-specific codes arrive in the body with some HTTP status.
    const status = code > 999 ? 400 : code;
    const message = explainApiError({ operation, status, clientCode: code > 999 ? code : null, context });
    expect(message.length).toBeGreaterThan(40);
    expect(message).not.toMatch(/\n/);
    expect(message).toMatch(/[.!]$/);
    expect(message).toMatch(NEXT_STEP);
    expect(message).not.toMatch(/undefined|null|\[object/);
  });
});

describe("explanations name the cause in the user's terms", () => {
  it("a stopped machine's disk", () => {
    expect(
      explainApiError({
        operation: "list-content",
        status: 400,
        clientCode: 400,
        context: { machineId: 200 },
      }),
    ).toBe("Machine 200 is not running, so its disk can't be listed. Start it in Vagon, then try again.");
  });

  it("404 names what was not found, per endpoint", () => {
    const notFound = (operation: VagonOperation, ctx: ErrorContext) =>
      explainApiError({ operation, status: 404, clientCode: null, context: ctx });
    expect(notFound("list-files", { parentId: 77 })).toMatch(
      /^Folder 77 was not found in the shared storage/,
    );
    expect(notFound("list-machine-files", { machineId: 5 })).toMatch(/^Machine 5 was not found/);
    expect(notFound("list-machine-files", { machineId: 5, taskId: 42 })).toMatch(
      /^Task 42 was not found on machine 5/,
    );
    expect(notFound("list-content", { machineId: 5 })).toMatch(/^Machine 5 was not found/);
    expect(notFound("create-file", { machineId: 5, name: "a.txt" })).toMatch(/^Machine 5 was not found/);
    expect(notFound("complete-upload", { fileId: 31 })).toMatch(/^File 31 was not found/);
    expect(notFound("delete-file", { fileId: 31 })).toMatch(/^File 31 was not found/);
    expect(notFound("start-download", { directoryId: 8 })).toMatch(/folder 8/);
    expect(notFound("get-download", { downloadId: 9 })).toMatch(/^Zip job 9 was not found.*24 hours/);
    expect(notFound("abort-download", { downloadId: 9 })).toMatch(
      /^Zip job 9 .*nothing to cancel\. Check the download id/,
    );
  });

  it("450 means a full storage when creating, a root folder when deleting", () => {
    expect(
      explainApiError({
        operation: "create-file",
        status: 450,
        clientCode: 450,
        context: { name: "big.iso", sizeBytes: 3 * 2 ** 30 },
      }),
    ).toMatch(/shared storage is full, so "big.iso" \(3\.0 GB\)/);
    expect(
      explainApiError({
        operation: "create-file",
        status: 450,
        clientCode: null,
        context: { machineId: 100 },
      }),
    ).toMatch(/machine 100's storage is full/);
    expect(
      explainApiError({ operation: "delete-file", status: 450, clientCode: 450, context: { fileId: 1 } }),
    ).toMatch(/root folder.*can't be deleted/);
    expect(
      explainApiError({ operation: "complete-upload", status: 450, clientCode: 450, context: { fileId: 1 } }),
    ).toMatch(/over the storage limit, so Vagon deleted it/);
  });

  it("451 and 452 explain the name clash and the size mismatch", () => {
    expect(
      explainApiError({
        operation: "create-file",
        status: 400,
        clientCode: 451,
        context: { name: "a.txt", parentId: 3 },
      }),
    ).toMatch(/"a.txt" already exists in folder 3.*overwrite/);
    expect(
      explainApiError({
        operation: "create-directory",
        status: 451,
        clientCode: null,
        context: { name: "Docs" },
      }),
    ).toMatch(/"Docs" already exists in the shared root folder/);
    expect(
      explainApiError({ operation: "complete-upload", status: 400, clientCode: 452, context: { fileId: 4 } }),
    ).toMatch(/file 4 don't add up.*deleted the file/);
  });

  it("4710 on a zip download points at the multiple_file_download feature", () => {
    expect(
      explainApiError({
        operation: "start-download",
        status: 403,
        clientCode: 4710,
        context: { fileIds: [1, 2] },
      }),
    ).toMatch(/files 1, 2 .*"multiple file download" feature/);
  });

  it("4716, 4719 and 4722 read as what the user did", () => {
    expect(
      explainApiError({
        operation: "abort-download",
        status: 400,
        clientCode: 4716,
        context: { downloadId: 9 },
      }),
    ).toMatch(/^Zip job 9 can't be cancelled because it has already finished/);
    expect(
      explainApiError({
        operation: "start-download",
        status: 400,
        clientCode: 4719,
        context: { taskId: 42 },
      }),
    ).toMatch(/^Task 42 has no finished output files/);
    expect(
      explainApiError({
        operation: "start-download",
        status: 400,
        clientCode: 4719,
        context: { directoryId: 6 },
      }),
    ).toMatch(/^Folder 6 is empty/);
    expect(explainApiError({ operation: "start-download", status: 400, clientCode: 4722 })).toMatch(
      /exactly one of/,
    );
  });

  it("401 tells a skewed clock apart from wrong credentials", () => {
    expect(
      explainApiError({
        operation: "list-files",
        status: 401,
        clientCode: 401,
        serverMessage: "Request timestamp is too old",
      }),
    ).toMatch(/clock seems to be off by more than 5 minutes\. Fix the system clock/);
    expect(
      explainApiError({
        operation: "list-files",
        status: 401,
        clientCode: 401,
        serverMessage: "Invalid signature",
      }),
    ).toMatch(/Check VAGON_API_KEY and VAGON_API_SECRET/);
    expect(explainApiError({ operation: "list-files", status: 401, clientCode: null })).toMatch(
      /VAGON_API_SECRET/,
    );
  });

  it("429 honours the wait Vagon asked for, 5xx after create warns about duplicates", () => {
    expect(
      explainApiError({
        operation: "list-files",
        status: 429,
        clientCode: null,
        retryAfterMs: 7000,
        attempts: 4,
      }),
    ).toMatch(/rate-limiting .*\(4 attempts\).*wait 7 seconds/);
    expect(
      explainApiError({ operation: "create-file", status: 502, clientCode: null, context: { name: "x" } }),
    ).toMatch(/HTTP 502.*list the folder before trying again/);
    expect(explainApiError({ operation: "start-download", status: 500, clientCode: 4720 })).toMatch(
      /failed to generate the download link/,
    );
  });

  it("an undocumented 4xx quotes Vagon's own words", () => {
    expect(
      explainApiError({
        operation: "delete-file",
        status: 418,
        clientCode: 4999,
        serverMessage: "Teapot mode",
        context: { fileId: 3 },
      }),
    ).toBe(
      'Vagon refused deleting file 3 (HTTP 418, code 4999). Vagon said: "Teapot mode". Check the ids and inputs, then try again.',
    );
  });
});

describe("which code is explained", () => {
  it.each([
    [400, 4710, 4710],
    [403, 4710, 4710],
    [400, 451, 451],
    [451, null, 451],
    [500, 4720, 4720],
    [200, 4716, 4716],
    [404, 404, 404],
    [404, 200, 404],
    [null, 4722, 4722],
  ])("HTTP %s with client_code %s → %s", (status, clientCode, expected) => {
    expect(effectiveCode(status, clientCode)).toBe(expected);
  });
});

describe("transport failures", () => {
  it("finds the socket's own code under undici's wrapper", () => {
    const wrapped = Object.assign(new Error("other side closed"), {
      code: "UND_ERR_SOCKET",
      cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
    });
    expect(networkCodeOf(wrapped)).toBe("ECONNRESET");
    expect(networkCodeOf(Object.assign(new Error("x"), { code: "UND_ERR_SOCKET" }))).toBe("UND_ERR_SOCKET");
    expect(networkCodeOf(new Error("plain"))).toBe("");
  });

  it.each([
    ["ECONNREFUSED", /connection was refused.*VAGON_API_URL/],
    ["ENOTFOUND", /look up Vagon's address api\.vagon\.io \(DNS\)/],
    ["ECONNRESET", /was reset while listing/],
    ["UND_ERR_HEADERS_TIMEOUT", /didn't answer within 60 seconds/],
    ["UND_ERR_CONNECT_TIMEOUT", /didn't accept the connection within 60 seconds/],
    [null, /connection to Vagon .* failed/],
  ])("%s", (code, pattern) => {
    const message = explainTransportError({
      operation: "list-files",
      code,
      host: "api.vagon.io",
      timeoutMs: 60_000,
    });
    expect(message).toMatch(pattern);
    expect(message).toMatch(NEXT_STEP);
  });

  it("a lost answer to a create warns that the entry may exist", () => {
    expect(
      explainTransportError({
        operation: "create-file",
        code: "ECONNRESET",
        host: "h",
        context: { name: "a" },
      }),
    ).toMatch(/may have reached Vagon: list the folder/);
  });

  it("a cancellation is an AbortError that is still a VagonError", () => {
    const error = new VagonError({
      kind: "aborted",
      operation: "get-download",
      message: explainAbort("get-download", { downloadId: 9 }),
    });
    expect(error).toBeInstanceOf(VagonError);
    expect(isAbortError(error)).toBe(true);
    expect(error.message).toBe("The request was cancelled before Vagon finished checking zip job 9.");
  });

  it("an unreadable answer says so without quoting values", () => {
    expect(explainInvalidResponse("list-files", "files.0.id: expected an integer id")).toMatch(
      /doesn't understand \(files\.0\.id: expected an integer id\)\. Try again/,
    );
  });
});

describe("no secret ever leaks", () => {
  const serverText = `Invalid signature for Authorization: HMAC vk_key:${"ab12".repeat(16)}:n:1 using ${secret}; see https://s3.example/o?X-Amz-Signature=deadbeefcafe&X-Amz-Expires=60`;

  it("server text is redacted before it is kept", () => {
    const safe = safeServerText(serverText, [secret]);
    expect(safe).not.toContain(secret);
    expect(safe).not.toContain("ab12ab12");
    expect(safe).not.toContain("deadbeefcafe");
    expect(safe).toContain("[redacted]");
  });

  it("the message, JSON and stack of an error carrying server text contain no secret", () => {
    const error = apiError({
      operation: "delete-file",
      status: 418,
      clientCode: null,
      serverMessage: safeServerText(serverText, [secret]),
      context: { fileId: 1 },
      retryable: false,
    });
    for (const text of [
      error.message,
      JSON.stringify(error),
      String(error.stack),
      error.serverMessage ?? "",
    ]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain("deadbeefcafe");
      expect(text).not.toContain("ab12ab12");
    }
    expect(error).toMatchObject({
      status: 418,
      clientCode: null,
      retryable: false,
      operation: "delete-file",
      kind: "api",
    });
  });
});
