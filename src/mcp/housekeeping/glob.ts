// The one glob matcher: find_files/delete_files `name` and upload_file `exclude`. A caller's
// pattern never becomes a backtracking regular expression (picomatch's `{*,*}` ×8 took 17 s
// against a 23-character name, on the thread every session shares). It is compiled into a
// small automaton (Thompson's construction) and run over the text one character at a time with
// a set of states, so a match costs at most (text length + 1) × states steps, whatever the
// pattern: no brace is ever expanded, and the pattern's length is capped.
//
// Syntax (picomatch's, for what the docs promise): `*` any run of characters within a path
// segment, `?` one such character, `[abc]` `[a-z]` `[!a]` `[^a]` classes, `{a,b}` alternatives
// (nested allowed), `\x` a literal x, and in paths `**` as a whole segment for any number of
// segments. Everything else is a literal character.
import { UserInputError } from "../kit/errors.js";

/** Longer patterns are refused: each character is a state at most, and states are work. */
export const MAX_GLOB_LENGTH = 1_000;
/** Braces nested deeper than this are refused. */
export const MAX_BRACE_DEPTH = 10;

export interface GlobOptions {
  /** Match letters in any case (the name filter); default false. */
  nocase?: boolean;
}

/** Counts the steps a match takes: the seam the worst-case property test measures. */
export interface GlobWork {
  steps: number;
}

export interface Glob {
  readonly pattern: string;
  /** States of the automaton: a match takes at most (text length + 1) × this many steps. */
  readonly stateCount: number;
  test(text: string, work?: GlobWork): boolean;
}

type CharTest = (char: string) => boolean;
type State =
  | { kind: "char"; test: CharTest; next: number }
  | { kind: "split"; next: number[] }
  | { kind: "match" };

/** A fragment under construction: its start state and the states whose `next` is still open. */
interface Fragment {
  start: number;
  /** Patch functions that point an open exit at a state. */
  exits: Array<(target: number) => void>;
}

class Builder {
  readonly states: State[] = [];

  char(test: CharTest): Fragment {
    const state: State = { kind: "char", test, next: -1 };
    const id = this.states.push(state) - 1;
    return {
      start: id,
      exits: [
        (target) => {
          state.next = target;
        },
      ],
    };
  }

  /** Matches the empty string. */
  empty(): Fragment {
    const state: State = { kind: "split", next: [] };
    const id = this.states.push(state) - 1;
    return { start: id, exits: [(target) => state.next.push(target)] };
  }

  sequence(parts: Fragment[]): Fragment {
    if (parts.length === 0) return this.empty();
    for (let index = 0; index + 1 < parts.length; index++) {
      const target = (parts[index + 1] as Fragment).start;
      for (const exit of (parts[index] as Fragment).exits) exit(target);
    }
    return { start: (parts[0] as Fragment).start, exits: (parts.at(-1) as Fragment).exits };
  }

  alternatives(options: Fragment[]): Fragment {
    const state: State = { kind: "split", next: options.map((option) => option.start) };
    const id = this.states.push(state) - 1;
    return { start: id, exits: options.flatMap((option) => option.exits) };
  }

  /** Zero or more of `inner`. */
  repeat(inner: Fragment): Fragment {
    const state: State = { kind: "split", next: [inner.start] };
    const id = this.states.push(state) - 1;
    for (const exit of inner.exits) exit(id);
    return { start: id, exits: [(target) => state.next.push(target)] };
  }

  optional(inner: Fragment): Fragment {
    return this.alternatives([inner, this.empty()]);
  }
}

const notSlash: CharTest = (char) => char !== "/";
const anyChar: CharTest = () => true;

function literal(wanted: string, nocase: boolean): CharTest {
  const fold = (char: string) => (nocase ? char.toLowerCase() : char);
  const folded = fold(wanted);
  return (char) => fold(char) === folded;
}

/** Compiles `pattern`; throws UserInputError when it is too long or too deeply nested. */
export function compileGlob(pattern: string, options: GlobOptions = {}): Glob {
  if (pattern.length > MAX_GLOB_LENGTH) {
    throw new UserInputError(
      `The glob is ${pattern.length} characters long, more than the ${MAX_GLOB_LENGTH} allowed; use a shorter pattern such as *.mp4.`,
    );
  }
  const builder = new Builder();
  const reader: PatternReader = {
    chars: [...pattern],
    position: 0,
    nocase: options.nocase === true,
    builder,
  };
  const whole = readSequence(reader, reader.chars.length, 0);
  const matchState = builder.states.push({ kind: "match" }) - 1;
  for (const exit of whole.exits) exit(matchState);
  const { states } = builder;
  return {
    pattern,
    stateCount: states.length,
    test: (text, work) => runAutomaton(states, whole.start, matchState, text, work),
  };
}

/** The parse in progress: the pattern's characters, the next one to read, and where states go. */
interface PatternReader {
  readonly chars: string[];
  /** Index in `chars` of the next character to read. */
  position: number;
  readonly nocase: boolean;
  readonly builder: Builder;
}

/** Reads the pattern from the reader's position up to `end` (exclusive), `depth` braces deep. */
function readSequence(reader: PatternReader, end: number, depth: number): Fragment {
  const parts: Fragment[] = [];
  while (reader.position < end) parts.push(readPiece(reader, depth));
  return reader.builder.sequence(parts);
}

/** One piece at the reader's position: a run of stars, `?`, a class, braces, or a literal. */
function readPiece(reader: PatternReader, depth: number): Fragment {
  const { chars, builder } = reader;
  const char = chars[reader.position] as string;
  if (char === "*") return readStars(reader);
  if (depth === 0 && char === "/" && isTrailingGlobstar(chars, reader.position + 1)) {
    // "a/**" matches "a" too: the slash and whatever follows are optional together.
    const slash = builder.char((next) => next === "/");
    reader.position = chars.length;
    return builder.optional(builder.sequence([slash, builder.repeat(builder.char(anyChar))]));
  }
  if (char === "?") {
    reader.position++;
    return builder.char(notSlash);
  }
  if (char === "[") {
    const charClass = readClass(chars, reader.position, reader.nocase);
    if (charClass) {
      reader.position = charClass.end;
      return builder.char(charClass.test);
    }
  }
  if (char === "{") {
    const bounds = braceBounds(chars, reader.position);
    if (bounds !== null) return readBraces(reader, bounds, depth);
  }
  if (char === "\\" && reader.position + 1 < chars.length) reader.position++;
  const fragment = builder.char(literal(chars[reader.position] as string, reader.nocase));
  reader.position++;
  return fragment;
}

/** A run of `*`: within a segment, or `**` as a whole segment for any number of segments. */
function readStars(reader: PatternReader): Fragment {
  const { chars, builder } = reader;
  let run = 0;
  const segmentStart = reader.position === 0 || chars[reader.position - 1] === "/";
  while (chars[reader.position] === "*") {
    run++;
    reader.position++;
  }
  const segmentEnd = reader.position >= chars.length || chars[reader.position] === "/";
  if (run < 2 || !segmentStart || !segmentEnd) return builder.repeat(builder.char(notSlash));
  // `**` as a whole segment: any number of segments, and `**/` may match none at all.
  if (chars[reader.position] !== "/") return builder.repeat(builder.char(anyChar));
  reader.position++;
  const slash = builder.char((next) => next === "/");
  return builder.optional(builder.sequence([builder.repeat(builder.char(anyChar)), slash]));
}

/** The alternatives of the brace at the reader's position, each ending at one of `bounds`. */
function readBraces(reader: PatternReader, bounds: number[], depth: number): Fragment {
  if (depth + 1 > MAX_BRACE_DEPTH) {
    throw new UserInputError(
      `The glob nests braces more than ${MAX_BRACE_DEPTH} deep; write it with fewer levels of {a,b}.`,
    );
  }
  const options: Fragment[] = [];
  for (const bound of bounds) {
    reader.position++;
    options.push(readSequence(reader, bound, depth + 1));
    reader.position = bound;
  }
  reader.position++;
  return reader.builder.alternatives(options);
}

/**
 * `[...]` starting at `start`: its test, and the index just past its `]`; null when it isn't a
 * closed class (then `[` is literal).
 */
function readClass(chars: string[], start: number, nocase: boolean): { test: CharTest; end: number } | null {
  let cursor = start + 1;
  const negated = chars[cursor] === "!" || chars[cursor] === "^";
  if (negated) cursor++;
  const ranges: Array<[string, string]> = [];
  let first = true;
  while (cursor < chars.length && (chars[cursor] !== "]" || first)) {
    first = false;
    let low = chars[cursor] as string;
    if (low === "\\" && cursor + 1 < chars.length) low = chars[++cursor] as string;
    let high = low;
    if (chars[cursor + 1] === "-" && cursor + 2 < chars.length && chars[cursor + 2] !== "]") {
      high = chars[cursor + 2] as string;
      if (high === "\\" && cursor + 3 < chars.length) {
        high = chars[cursor + 3] as string;
        cursor++;
      }
      cursor += 2;
    }
    ranges.push([low, high]);
    cursor++;
  }
  if (cursor >= chars.length) return null;
  const inRanges = (char: string) => ranges.some(([low, high]) => char >= low && char <= high);
  const inClass = nocase
    ? (char: string) => inRanges(char) || inRanges(char.toLowerCase()) || inRanges(char.toUpperCase())
    : inRanges;
  // Like `*` and `?`, a class never matches the path separator.
  const test: CharTest = negated
    ? (char) => char !== "/" && !inClass(char)
    : (char) => char !== "/" && inClass(char);
  return { test, end: cursor + 1 };
}

/**
 * Where the alternatives of the brace at `start` end: each top-level `,` and then the closing
 * `}`; null when it has no top-level comma or no end (then `{` is a literal).
 */
function braceBounds(chars: string[], start: number): number[] | null {
  let depth = 0;
  const bounds: number[] = [];
  for (let cursor = start; cursor < chars.length; cursor++) {
    const char = chars[cursor];
    if (char === "\\") cursor++;
    else if (char === "{") depth++;
    else if (char === "}") {
      depth--;
      if (depth === 0) return bounds.length > 0 ? [...bounds, cursor] : null;
    } else if (char === "," && depth === 1) bounds.push(cursor);
  }
  return null;
}

/**
 * Runs the automaton over `text` one character at a time with a set of states. Each state joins
 * a step's set at most once (`seen` holds the step it last joined), so a step costs at most one
 * visit per state.
 */
function runAutomaton(
  states: State[],
  start: number,
  matchState: number,
  text: string,
  work: GlobWork | undefined,
): boolean {
  const seen = new Int32Array(states.length).fill(-1);
  let steps = 0;
  const addClosure = (set: number[], id: number, step: number) => {
    const stack = [id];
    while (stack.length > 0) {
      const stateId = stack.pop() as number;
      if (seen[stateId] === step) continue;
      seen[stateId] = step;
      steps++;
      const state = states[stateId] as State;
      if (state.kind === "split") for (const next of state.next) stack.push(next);
      else set.push(stateId);
    }
  };
  let current: number[] = [];
  addClosure(current, start, 0);
  let step = 0;
  for (const char of text) {
    if (current.length === 0) break;
    step++;
    const next: number[] = [];
    for (const stateId of current) {
      steps++;
      const state = states[stateId] as State;
      if (state.kind === "char" && state.test(char)) addClosure(next, state.next, step);
    }
    current = next;
  }
  if (work) work.steps += steps;
  return current.includes(matchState);
}

/** True when `chars` from `from` is `**` (or more stars) and nothing after. */
function isTrailingGlobstar(chars: string[], from: number): boolean {
  if (chars.length - from < 2) return false;
  for (let index = from; index < chars.length; index++) if (chars[index] !== "*") return false;
  return true;
}

/** True when any of `patterns` matches: one compiled glob each. */
export function compileGlobs(patterns: string[], options: GlobOptions = {}): (text: string) => boolean {
  const globs = patterns.map((pattern) => compileGlob(pattern, options));
  return (text) => globs.some((glob) => glob.test(text));
}
