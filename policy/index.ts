// `pulumi preview --policy-pack policy` runs this file: it serves the pack to the Pulumi engine.
import { PolicyPack } from "@pulumi/policy";
import { packArgs } from "./pack";

new PolicyPack("mlops", packArgs());
