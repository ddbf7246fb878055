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
    const guess = closestName(name, valid);
    return `"${name}"${guess ? ` (did you mean ${guess}?)` : ""}`;
  });
  const accepted = valid.length > 0 ? valid.join(", ") : "no arguments";
  return `${toolName} does not take ${described.join(", ")}; nothing was done. Its inputs are: ${accepted}. Call it again with those names.`;
}
