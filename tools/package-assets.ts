/**
 * After `tsc -p tsconfig.build.json`: what dist/ needs besides compiled code, so the published package
 * serves the policy pack (`pulumi preview --policy-pack node_modules/mlops-gcp-stack/dist/policy`) and
 * its command line (`npx mlops-gcp-stack`).
 */
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");
const version = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;

fs.copyFileSync(path.join(root, "policy", "PulumiPolicy.yaml"), path.join(dist, "policy", "PulumiPolicy.yaml"));
const policyPackage = { name: "mlops-gcp-stack-policy", version, private: true, main: "index.js" };
fs.writeFileSync(path.join(dist, "policy", "package.json"), `${JSON.stringify(policyPackage, null, 2)}\n`);
fs.chmodSync(path.join(dist, "cli", "cli.js"), 0o755);
process.stdout.write(`dist/ ready for mlops-gcp-stack ${version}\n`);
