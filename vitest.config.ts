import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Ends the run with a banner naming suites skipped for want of curl, nginx or Chromium.
    globalSetup: ["test/helpers/skipped-suites.ts"],
  },
});
