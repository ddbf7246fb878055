import os from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits for something the test started to happen (a request reaching the sandbox,
    // a file appearing): its 1 s default failed on a loaded machine with nothing wrong. It waits
    // for the event, never for time: a generous ceiling costs a passing test nothing.
    expect: { poll: { timeout: 20_000 } },
    pool: "forks",
    // One test file per core. vitest's default (cores - 1) ran the files one at a time on a 2-core
    // machine, though most of their time goes to sockets, child processes and the disk: 125 s
    // there, against 77 s with both cores busy.
    maxWorkers: os.availableParallelism(),
    // Ends the run with a banner naming suites skipped for want of curl, nginx or Chromium.
    globalSetup: ["test/helpers/skipped-suites.ts"],
  },
});
