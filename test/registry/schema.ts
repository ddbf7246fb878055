// The official MCP registry's server.json schema, checked with ajv. server.schema.json beside
// this file is a copy of https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json
// (the current release, as its "$id" says; the registry's docs/reference/server-json/). Moving to a
// newer schema is a deliberate change: replace the file and the "$schema" of server.json together.
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";

const schema = JSON.parse(readFileSync(new URL("./server.schema.json", import.meta.url), "utf8")) as {
  $id: string;
};
export const SERVER_SCHEMA_ID = schema.$id;

// The schema carries OpenAPI's "example" annotations, which strict mode would refuse as unknown.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** What is wrong with a server.json, one line each; empty when the schema accepts it. */
export function serverJsonErrors(document: unknown): string[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message ?? ""}`);
}
