// tools/list is paid for in every conversation: hosts hand each tool's input schema to the model.
// zod's JSON Schema conversion adds what no model needs — a `$schema` URL per tool and the ±2^53
// bounds that zod gives every integer — about 1.7 KB over our tools. leanSchema() hands the SDK
// a Standard Schema that validates with zod unchanged and converts to JSON Schema without them,
// so tools/list (both protocol eras) carries the lean form, changing nothing the schemas allow.
// The dialect follows the era: 2026-07-28 gets JSON Schema 2020-12 (what the v2 SDK asks for);
// an initialize-era session gets draft-07, as the v1 SDK served it, since hosts built on it
// validate with a draft-07 validator, which reads a 2020-12 tuple (prefixItems, items: false)
// as "no items at all".
import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { z } from "zod";

type StandardJSONSchemaV1Options = Parameters<StandardSchemaWithJSON["~standard"]["jsonSchema"]["input"]>[0];

export function leanSchema<Schema extends z.ZodType>(
  schema: Schema,
  legacyEra: () => boolean,
  /** Runs before validation: the value to validate, or one to hand the tool as it is. */
  before?: (value: unknown) => { read: unknown } | { refused: unknown },
): Schema & StandardSchemaWithJSON {
  const standard = schema["~standard"] as unknown as StandardSchemaWithJSON["~standard"];
  const { jsonSchema } = standard;
  const dialect = (options: StandardJSONSchemaV1Options) =>
    legacyEra() ? { ...options, target: "draft-07" as const } : options;
  const lean: StandardSchemaWithJSON["~standard"] = {
    ...standard,
    validate: before
      ? (value, options) => {
          const seen = before(value);
          return "refused" in seen ? { value: seen.refused } : standard.validate(seen.read, options);
        }
      : standard.validate,
    jsonSchema: {
      input: (options) => stripNoise(jsonSchema.input(dialect(options))),
      output: (options) => stripNoise(jsonSchema.output(dialect(options))),
    },
  };
  // The zod object itself, with only its Standard Schema face replaced: everything else the SDK
  // may read of a zod schema stays as it is.
  return new Proxy(schema, {
    get: (target, key, receiver) => (key === "~standard" ? lean : Reflect.get(target, key, receiver)),
  }) as Schema & StandardSchemaWithJSON;
}

function stripNoise<T>(schema: T): T {
  if (Array.isArray(schema)) {
    for (const item of schema) stripNoise(item);
    return schema;
  }
  if (typeof schema !== "object" || schema === null) return schema;
  const node = schema as Record<string, unknown>;
  delete node.$schema;
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
  // zod's positive() on an integer: "minimum": 1 says the same in fewer tokens.
  if (node.type === "integer" && node.exclusiveMinimum === 0) {
    delete node.exclusiveMinimum;
    node.minimum = 1;
  }
  for (const value of Object.values(node)) stripNoise(value);
  return schema;
}
