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

function fold(char: string, nocase: boolean): string {
  return nocase ? char.toLowerCase() : char;
}

/** Compiles `pattern`; throws UserInputError when it is too long or too deeply nested. */
export function compileGlob(pattern: string, options: GlobOptions = {}): Glob {
  if (pattern.length > MAX_GLOB_LENGTH) {
    throw new UserInputError(
      `The glob is ${pattern.length} characters long, more than the ${MAX_GLOB_LENGTH} allowed; use a shorter pattern such as *.mp4.`,
    );
  }
  const nocase = options.nocase === true;
  const builder = new Builder();
  const chars = [...pattern];
  let position = 0;

  const notSlash: CharTest = (char) => char !== "/";
  const anyChar: CharTest = () => true;
  const literal = (wanted: string): CharTest => {
    const folded = fold(wanted, nocase);
    return (char) => fold(char, nocase) === folded;
  };

  /** `[...]` starting at `position`; null when it isn't a closed class (then `[` is literal). */
  function readClass(): CharTest | null {
    let cursor = position + 1;
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
    position = cursor + 1;
    const inRanges = (char: string) => ranges.some(([low, high]) => char >= low && char <= high);
    const inClass = nocase
      ? (char: string) => inRanges(char) || inRanges(char.toLowerCase()) || inRanges(char.toUpperCase())
      : inRanges;
    // Like `*` and `?`, a class never matches the path separator.
    return negated ? (char) => char !== "/" && !inClass(char) : (char) => char !== "/" && inClass(char);
  }

  /**
   * Where the alternatives of the brace at `position` end: each top-level `,` and then the
   * closing `}`; null when it has no top-level comma or no end (then `{` is a literal).
   */
  function braceBounds(): number[] | null {
    let depth = 0;
    const bounds: number[] = [];
    for (let cursor = position; cursor < chars.length; cursor++) {
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

  const atSegmentStart = () => position === 0 || chars[position - 1] === "/";

  /** Reads the pattern from `position` up to `end` (exclusive). */
  function readSequence(end: number, depth: number): Fragment {
    const parts: Fragment[] = [];
    while (position < end) {
      const char = chars[position] as string;
      if (char === "*") {
        let run = 0;
        const segmentStart = atSegmentStart();
        while (chars[position] === "*") {
          run++;
          position++;
        }
        const segmentEnd = position >= chars.length || chars[position] === "/";
        if (run >= 2 && segmentStart && segmentEnd) {
          // `**` as a whole segment: any number of segments, and `**/` may match none at all.
          if (chars[position] === "/") {
            position++;
            const slash = builder.char((next) => next === "/");
            parts.push(builder.optional(builder.sequence([builder.repeat(builder.char(anyChar)), slash])));
          } else {
            parts.push(builder.repeat(builder.char(anyChar)));
          }
        } else {
          parts.push(builder.repeat(builder.char(notSlash)));
        }
        continue;
      }
      if (depth === 0 && char === "/" && isTrailingGlobstar(chars, position + 1)) {
        // "a/**" matches "a" too: the slash and whatever follows are optional together.
        const slash = builder.char((next) => next === "/");
        parts.push(builder.optional(builder.sequence([slash, builder.repeat(builder.char(anyChar))])));
        position = chars.length;
        continue;
      }
      if (char === "?") {
        parts.push(builder.char(notSlash));
        position++;
        continue;
      }
      if (char === "[") {
        const test = readClass();
        if (test) {
          parts.push(builder.char(test));
          continue;
        }
      }
      if (char === "{") {
        const bounds = braceBounds();
        if (bounds !== null) {
          if (depth + 1 > MAX_BRACE_DEPTH) {
            throw new UserInputError(
              `The glob nests braces more than ${MAX_BRACE_DEPTH} deep; write it with fewer levels of {a,b}.`,
            );
          }
          const options: Fragment[] = [];
          for (const bound of bounds) {
            position++;
            options.push(readSequence(bound, depth + 1));
            position = bound;
          }
          position++;
          parts.push(builder.alternatives(options));
          continue;
        }
      }
      if (char === "\\" && position + 1 < chars.length) position++;
      parts.push(builder.char(literal(chars[position] as string)));
      position++;
    }
    return builder.sequence(parts);
  }

  const whole = readSequence(chars.length, 0);
  const matchState = builder.states.push({ kind: "match" }) - 1;
  for (const exit of whole.exits) exit(matchState);
  const { states } = builder;

  return {
    pattern,
    stateCount: states.length,
    test(text, work) {
      // Each state joins a step's set at most once (`seen` holds the step it last joined), so a
      // step costs at most one visit per state.
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
      addClosure(current, whole.start, 0);
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
    },
  };
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
