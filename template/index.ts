// The whole program: the mlops-gcp-stack package reads this stack's config (Pulumi.<stack>.yaml),
// checks it and creates everything it describes. Upgrade by bumping the version in package.json.
import { stack } from "mlops-gcp-stack";

export = stack();
