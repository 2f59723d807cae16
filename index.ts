// This repository's own Pulumi program (the dev stack); a group's template/index.ts is the same line
// importing the published package instead.
import { stack } from "./program";

export = stack();
