// Tests that call a writer directly stand in for the containment check: a folder the test made
// itself under the OS's temp folder is what a tool would have been handed by checkFolder.
import type { CheckedPath } from "../../src/local/containment.js";

/** A path the test made and vouches for, typed as if the containment check had passed it. */
export function checkedByTest(madeByTest: string): CheckedPath {
  return madeByTest as CheckedPath;
}
