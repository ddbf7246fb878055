// The stderr account of requests refused before authentication: attacker text escaped and cut,
// a few lines per interval, then a count.
import { describe, expect, it } from "vitest";
import { createLogger, type LogRecord } from "../../src/log.js";
import { createRefusalLog, quoteUntrusted } from "../../src/transports/refusal-log.js";

describe("quoteUntrusted", () => {
  it("escapes everything but printable ASCII and cuts long text", () => {
    expect(quoteUntrusted('a"b\\c\td\u00ff\u{1f680}')).toBe('"a\\"b\\\\c\\x09d\\xff\\u{1f680}"');
    expect(quoteUntrusted("x".repeat(100), 10)).toBe(`"${"x".repeat(10)}"...(+90 chars)`);
  });
});

describe("createRefusalLog", () => {
  it("describes the first few refusals of an interval, then logs one count for the rest", () => {
    const clock = { nowMs: 0 };
    const logger = createLogger({ level: "debug", stderr: false });
    const lines: LogRecord[] = [];
    logger.addSink((record) => lines.push(record));
    const refusals = createRefusalLog(logger, {
      intervalMs: 60_000,
      linesPerInterval: 3,
      now: () => clock.nowMs,
    });
    for (let index = 0; index < 1_000; index += 1) refusals.refused("foreign Host header", `evil-${index}`);
    expect(lines.map((line) => line.message)).toEqual([
      'refused a request: foreign Host header: "evil-0"',
      'refused a request: foreign Host header: "evil-1"',
      'refused a request: foreign Host header: "evil-2" (further refusals are counted, not listed)',
    ]);
    clock.nowMs += 60_000;
    refusals.refused("no bearer token");
    expect(lines.slice(3).map((line) => line.message)).toEqual([
      "refused 997 more unauthenticated requests in the last 60 s",
      "refused a request: no bearer token",
    ]);
    refusals.close();
  });
});
