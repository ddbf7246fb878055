// Builds the MCP Apps views (src/views/*.ts → dist/views/<name>.html): each one self-contained
// HTML file with its script and styles inline, since a view runs in a sandboxed iframe that may
// fetch nothing. The server reads these files only when a host reads a ui:// resource.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

export const VIEW_NAMES = ["browser", "gallery", "usage", "delete-preview"];

// The view's own policy, whatever the host adds: no origin at all, inline code, data: images.
const CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:";

// ext-apps' App extends the client package's Protocol, which brings both wire eras' codecs and
// every spec schema; the views use src/views/protocol.ts instead (why, and what it keeps, is
// written there). The server and the tests use the real package.
const VIEWS_PROTOCOL = fileURLToPath(new URL("../src/views/protocol.ts", import.meta.url));

// zod (behind ext-apps' message schemas) ships every locale and its JSON Schema converters; a
// view uses neither. Locales become English only; the converters become stubs that throw if
// anything ever calls them (only an App that registers its own tools would).
const STUBBED =
  /zod\/v4\/(core\/compile|core\/json-schema-generator|core\/to-json-schema|core\/json-schema-processors|classic\/from-json-schema)\.js$/;
export const slimDependencies = {
  name: "slim-dependencies",
  setup(builder) {
    builder.onResolve({ filter: /^@modelcontextprotocol\/client$/ }, () => ({ path: VIEWS_PROTOCOL }));
    builder.onLoad({ filter: /zod\/v4\/locales\/index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
    }));
    builder.onLoad({ filter: STUBBED }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const names = new Set();
      for (const match of source.matchAll(/^export (?:async )?(?:function\*?|const|let|var|class) (\w+)/gm)) {
        names.add(match[1]);
      }
      for (const match of source.matchAll(/^export \{([^}]*)\}/gm)) {
        for (const part of match[1].split(",")) {
          const exported = part
            .trim()
            .split(/\s+as\s+/)
            .pop();
          if (exported) names.add(exported);
        }
      }
      // A factory (createToJSONSchemaMethod…) runs when a schema is built or read: it answers a
      // converter that throws, so only calling that converter fails.
      const lines = [...names].map(
        (name) =>
          `export const ${name} = ${/^create[A-Z]/.test(name) ? "() => unavailable" : "unavailable"};`,
      );
      return {
        contents: `const unavailable = () => { throw new Error("not bundled in the views"); };\n${lines.join("\n")}`,
      };
    });
  },
};

/**
 * Builds every view into `outdir`; answers each one's raw and gzipped size in bytes and the
 * source files bundled (for the license notices).
 */
export async function buildViews(outdir, { minify = true } = {}) {
  await mkdir(outdir, { recursive: true });
  const css = await readFile(new URL("../src/views/view.css", import.meta.url), "utf8");
  const sizes = {};
  const inputs = new Set();
  for (const name of VIEW_NAMES) {
    const result = await build({
      entryPoints: [new URL(`../src/views/${name}.ts`, import.meta.url).pathname],
      bundle: true,
      format: "iife",
      platform: "browser",
      target: "es2022",
      minify,
      legalComments: "none",
      write: false,
      logLevel: "warning",
      plugins: [slimDependencies],
      metafile: true,
    });
    for (const input of Object.keys(result.metafile.inputs)) inputs.add(input);
    const script = result.outputFiles[0].text;
    // Inline <script>: the text must not end the element early.
    if (/<\/script/i.test(script)) throw new Error(`views/${name}: the bundle contains "</script"`);
    const styles = minify ? css.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\s*\n\s*/g, "") : css;
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="Content-Security-Policy" content="${CSP}"><title>Vagon Files</title><style>${styles}</style></head><body><main id="app"><p class="muted">Waiting for the tool result…</p></main><script>${script}</script></body></html>`;
    await writeFile(`${outdir}/${name}.html`, html);
    sizes[name] = { bytes: Buffer.byteLength(html), gzipBytes: gzipSync(html, { level: 9 }).length };
  }
  return { sizes, inputs: [...inputs] };
}
