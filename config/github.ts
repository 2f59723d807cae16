/** GitHub Actions (CI): the repository whose workflows may act on the project keylessly. */
import { z } from "zod";

/** The CI workloads, each with its own service account when mlops:github is set. */
export const CI_WORKLOADS = ["ci-preview", "ci-deploy"] as const;

/** GitHub's immutable numeric ids: a deleted and recreated repository of the same name gets new ones. */
function githubId(key: string, lookup: string) {
  const error = `must be GitHub's numeric id; look it up with \`${lookup}\``;
  return z
    .union([z.number({ error }).int({ error }).positive({ error }), z.string({ error }).regex(/^[1-9][0-9]*$/, { error })], { error })
    .transform(String)
    .optional()
    .describe(`GitHub's numeric ${key === "repositoryId" ? "repository" : "owner"} id (\`${lookup}\`); pins the repository for good.`);
}

export const github = z
  .strictObject({
    repository: z
      .string({ error: "is required; the GitHub repository as owner/name" })
      .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, {
        error: "must be a GitHub repository as owner/name, e.g. Klakawaka/Car-Image-Classification-using-CNN",
      })
      .describe("GitHub repository (owner/name) whose Actions may deploy the stack keylessly."),
    branch: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+$/, { error: "must be a branch name such as main" })
      .default("main")
      .describe("Only workflows on this branch may impersonate the deploy account."),
    repositoryId: githubId("repositoryId", "gh api repos/OWNER/NAME --jq .id"),
    repositoryOwnerId: githubId("repositoryOwnerId", "gh api repos/OWNER/NAME --jq .owner.id"),
    stateBucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, { error: "must be a bucket name such as dtu-mlops-43-pulumi-state (no gs://)" })
      .optional()
      .describe("The Pulumi state bucket (name, no gs://): ci-deploy gets objectUser and ci-preview objectViewer on it, and nothing else of it."),
  })
  .optional()
  .describe("GitHub Actions access through Workload Identity Federation; omit for no CI access.");
