/** This repository's folder: its own stack files, examples/ and the goldens are found from here. */
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..");
