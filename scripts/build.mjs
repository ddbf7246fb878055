// Builds dist/: the server (src/cli.ts and everything it imports, dependencies included) as one
// minified CommonJS file, and the launcher that runs it through a V8 code cache as dist/cli.js.
// A host starts the server cold for every session. Node spends most of a cold start resolving,
// reading and compiling hundreds of module files: one file, compiled once and then loaded from
// the cache, starts in half the time (bench/cold-start.ts). What a stdio session rarely needs
// (undici, the sandbox, the HTTP transport, zip reading, the MIME database) is imported
// dynamically in the source, so it is in the file but not run until used.
// Type checking is `npm run typecheck`; this only transforms.
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { build } from "esbuild";
import { buildViews } from "./build-views.mjs";

const dist = new URL("../dist/", import.meta.url).pathname;
const common = {
  bundle: true,
  platform: "node",
  target: "node20.18",
  minify: !process.env.NO_MINIFY,
  logLevel: "warning",
};

await rm(dist, { recursive: true, force: true });
const server = await build({
  ...common,
  entryPoints: ["src/cli.ts"],
  outfile: `${dist}server.cjs`,
  format: "cjs",
  // Pure ASCII lets src/launcher.ts decode it as latin1, faster than UTF-8.
  charset: "ascii",
  // Notices found in the code go to THIRD-PARTY-LICENSES.txt below, not into the bundle.
  legalComments: "external",
  sourcemap: "linked",
  // config.ts finds package.json next to dist/ through import.meta.url, which CommonJS lacks.
  // The grep worker is a file of its own beside the bundle (built below).
  define: { "import.meta.url": "__importMetaUrl", __GREP_WORKER_FILE__: '"./grep-worker.cjs"' },
  banner: { js: 'const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  metafile: true,
});
await build({ ...common, entryPoints: ["src/launcher.ts"], outfile: `${dist}cli.js`, format: "esm" });
// read_file's grep runs in a worker thread that loads this file (src/mcp/reading/grep-worker.ts).
await build({
  ...common,
  entryPoints: ["src/mcp/reading/grep-worker.ts"],
  outfile: `${dist}grep-worker.cjs`,
  format: "cjs",
  charset: "ascii",
});
// The MCP Apps views: separate browser bundles, read only when a host asks for one.
const views = await buildViews(`${dist}views`, { minify: common.minify });

// The bundles carry code of the packages below; their licenses travel with them.
const packageDirs = new Set(
  [...Object.keys(server.metafile.inputs), ...views.inputs]
    .map((input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1])
    .filter(Boolean),
);
const notices = [];
for (const dir of [...packageDirs].sort()) {
  const { name, version, license } = JSON.parse(await readFile(`${dir}/package.json`, "utf8"));
  const licenseFile = (await readdir(dir)).find((file) => /^(licen[cs]e|copying)/i.test(file));
  const text = licenseFile ? await readFile(`${dir}/${licenseFile}`, "utf8") : `License: ${license}`;
  notices.push(`${name}@${version} (${license})\n\n${text.trim()}\n`);
}
const legalFile = `${dist}server.cjs.LEGAL.txt`;
// esbuild writes this file only when the code holds such notices.
const codeNotices = (await readFile(legalFile, "utf8").catch(() => "")).trim();
if (codeNotices) notices.push(`Notices found in the bundled code:\n\n${codeNotices}\n`);
await rm(legalFile, { force: true });
await writeFile(
  `${dist}THIRD-PARTY-LICENSES.txt`,
  `dist/server.cjs and dist/views/*.html bundle the following packages.\n\n${notices.join(`\n${"-".repeat(78)}\n\n`)}`,
);
