// Unknown argument names are refused (SPEC §2): a misspelt `parentId` must not silently list the
// root. The message names the valid inputs and, when one is close, the likely intended one.

/** `parentId` → `parent_id`: hosts and models often camelCase snake_case names. */
function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[-\s]+/g, "_")
    .toLowerCase();
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The valid name `given` most likely meant, or undefined when none is close. */
export function closestName(given: string, valid: readonly string[]): string | undefined {
  const normalized = snakeCase(given);
  const exact = valid.find((name) => name === normalized || name.replace(/_/g, "") === normalized);
  if (exact) return exact;
  let best: { name: string; distance: number } | undefined;
  for (const name of valid) {
    const distance = editDistance(normalized, name);
    if (distance <= Math.max(1, Math.floor(name.length / 3)) && (!best || distance < best.distance)) {
      best = { name, distance };
    }
  }
  return best?.name;
}

/** One paragraph: which names were not understood, what they may have meant, what is accepted. */
export function unknownArgumentsText(toolName: string, unknown: string[], valid: readonly string[]): string {
  const described = unknown.map((name) => {
    const guess = intendedName(name, valid);
    return `"${name}"${guess ? ` (did you mean ${guess}?)` : ""}`;
  });
  const accepted = valid.length > 0 ? valid.join(", ") : "no arguments";
  return `${toolName} does not take ${described.join(", ")}; nothing was done. Its inputs are: ${accepted}. Call it again with those names.`;
}

// ---- Arguments read the way models send them (SPEC §2) ----------------------------------------
// `"100"` for an id and `"Shared"` for an enum value are what was meant; they are normalized
// before the SDK validates the call, so the advertised JSON Schemas stay exactly as they are.

/** Names models use for one of ours: the first of the candidates the tool takes is suggested. */
const SYNONYMS: Record<string, readonly string[]> = {
  id: ["file_id", "download_id", "machine_id"],
  folder_id: ["parent_id", "directory_id"],
  folder: ["parent_id", "directory_id"],
  parent: ["parent_id"],
  dir_id: ["directory_id", "parent_id"],
  directory: ["directory_id", "parent_id"],
  file: ["file_id", "local_path"],
  ids: ["file_ids"],
  path: ["local_path", "save_to"],
  machine: ["machine_id"],
};

/** The valid name `given` most likely meant: a known synonym first, then spelling. */
export function intendedName(given: string, valid: readonly string[]): string | undefined {
  const synonym = SYNONYMS[snakeCase(given)]?.find((name) => valid.includes(name));
  return synonym ?? closestName(given, valid);
}

interface ZodNode {
  _zod: { def: { type: string; innerType?: ZodNode; element?: ZodNode; entries?: Record<string, unknown> } };
}

/** The schema under optional/default/nullable wrappers. */
function unwrapped(schema: ZodNode): ZodNode {
  let node = schema;
  while (node._zod.def.innerType) node = node._zod.def.innerType;
  return node;
}

const NUMERIC = /^\s*[+-]?\d+(\.\d+)?\s*$/;

/** `value` as `schema` reads it: a numeric string as a number, an enum value in any case. */
function readAsSent(value: unknown, schema: ZodNode): unknown {
  const node = unwrapped(schema);
  const { type, element, entries } = node._zod.def;
  if (type === "number" && typeof value === "string" && NUMERIC.test(value)) return Number(value);
  if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
  if (type === "enum" && typeof value === "string" && entries) {
    const wanted = value.trim().toLowerCase();
    return Object.values(entries).find((option) => String(option).toLowerCase() === wanted) ?? value;
  }
  if (type === "array" && element && Array.isArray(value))
    return value.map((item) => readAsSent(item, element));
  return value;
}

/** The arguments with every field read as sent; unknown names are left for the refusal. */
export function normalizeArguments(
  args: Record<string, unknown>,
  shape: Record<string, unknown>,
): Record<string, unknown> {
  // A name such as "__proto__" must stay an own property, not set the prototype.
  const normalized: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(args)) {
    const schema = Object.hasOwn(shape, name) ? (shape[name] as ZodNode) : undefined;
    normalized[name] = schema?._zod ? readAsSent(value, schema) : value;
  }
  return normalized;
}

/** Marks arguments refused for unknown names; the value is the paragraph that says so. */
export const REFUSED_ARGUMENTS = Symbol("refused arguments");

export type ReadArguments = { read: unknown } | { refused: { [REFUSED_ARGUMENTS]: string } };

/**
 * tools/call arguments as the tool reads them, before the SDK validates them (define-tool.ts runs
 * this inside the input schema's validation): read as sent, or, with a name the tool doesn't take,
 * refused in one paragraph (validation would add "expected number, received undefined" for the
 * field the misspelt name was meant to fill).
 */
export function readArguments(
  toolName: string,
  shape: Record<string, unknown>,
  args: unknown,
): ReadArguments {
  if (typeof args !== "object" || args === null || Array.isArray(args)) return { read: args };
  const valid = Object.keys(shape);
  const unknown = Object.keys(args).filter((name) => !valid.includes(name));
  if (unknown.length > 0) {
    return { refused: { [REFUSED_ARGUMENTS]: unknownArgumentsText(toolName, unknown, valid) } };
  }
  return { read: normalizeArguments(args as Record<string, unknown>, shape) };
}
