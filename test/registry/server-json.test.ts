// server.json, the entry for the official MCP registry: accepted by the registry's own schema,
// and saying what package.json and the CLI say (name, version, the settings it reads).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SERVER_SCHEMA_ID, serverJsonErrors } from "./schema.js";

interface Package {
  registryType: string;
  identifier: string;
  version?: string;
  environmentVariables?: { name: string; isSecret?: boolean }[];
  packageArguments?: { type: string; isRepeated?: boolean }[];
}
const serverJson = JSON.parse(readFileSync("server.json", "utf8")) as {
  $schema: string;
  name: string;
  version: string;
  packages: Package[];
};
const packageJson = JSON.parse(readFileSync("package.json", "utf8")) as {
  name: string;
  version: string;
  mcpName: string;
};

describe("server.json", () => {
  it("is accepted by the MCP registry's schema, which it names", () => {
    expect(serverJsonErrors(serverJson)).toEqual([]);
    expect(serverJson.$schema).toBe(SERVER_SCHEMA_ID);
  });

  it("the schema refuses what the registry refuses, so the check above can fail", () => {
    expect(serverJsonErrors({ ...serverJson, name: "no-namespace" })).not.toEqual([]);
    expect(serverJsonErrors({ ...serverJson, description: "x".repeat(101) })).not.toEqual([]);
    const latest = { ...serverJson, packages: [{ ...serverJson.packages[0], version: "latest" }] };
    expect(serverJsonErrors(latest)).not.toEqual([]);
  });

  it("names the npm package and the bundle of this version, under package.json's mcpName", () => {
    expect(serverJson.name).toBe(packageJson.mcpName);
    expect(serverJson.version).toBe(packageJson.version);
    const npm = serverJson.packages.find((entry) => entry.registryType === "npm");
    expect(npm).toMatchObject({ identifier: packageJson.name, version: packageJson.version });
    const bundle = serverJson.packages.find((entry) => entry.registryType === "mcpb");
    expect(bundle?.identifier).toMatch(
      new RegExp(
        `^https://github\\.com/.+/releases/download/v${packageJson.version}/vagon-files-mcp\\.mcpb$`,
      ),
    );
  });

  it("offers the settings the CLI reads: secrets as secrets, folders as repeated arguments", () => {
    const npm = serverJson.packages.find((entry) => entry.registryType === "npm");
    const config = readFileSync("src/config.ts", "utf8");
    for (const variable of npm?.environmentVariables ?? []) {
      expect(config, variable.name).toContain(`env.${variable.name}`);
    }
    const secrets = (npm?.environmentVariables ?? []).filter((variable) => variable.isSecret);
    expect(secrets.map((variable) => variable.name)).toEqual(["VAGON_API_KEY", "VAGON_API_SECRET"]);
    expect(npm?.packageArguments).toEqual([
      expect.objectContaining({ type: "positional", isRepeated: true }),
    ]);
  });
});
