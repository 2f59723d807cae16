/** Rules for identities: no keys, no basic roles for workloads, no project-wide impersonation, WIF pinned to a repository. */
import { forType, is, membersOf, T, type CheckedResource, type Props, type Rule } from "./rule";

const PROJECT_IAM = ["gcp:projects/iAMMember:IAMMember", "gcp:projects/iAMBinding:IAMBinding"];
const BASIC_ROLES = ["roles/owner", "roles/editor", "roles/viewer"];
const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
const DEFAULT_COMPUTE_ACCOUNT = /-compute@developer\.gserviceaccount\.com$/;

/** The members a project-level grant of a basic role gives it to, of those `wanted` selects (none for other resources). */
function basicRoleMembers(r: CheckedResource, wanted: (member: string) => boolean): string[] {
  if (!PROJECT_IAM.includes(r.type) || !BASIC_ROLES.includes(String(r.props.role))) return [];
  return membersOf(r.props).filter(wanted);
}

export const IDENTITY_RULES: Rule[] = [
  {
    name: "no-service-account-keys",
    level: "mandatory",
    why: "A key file is a password that never expires and ends up in repositories and reports; workloads use their attached account, CI uses Workload Identity Federation.",
    reference: "CIS 1.4, Checkov CKV2_GCP_3",
    check: forType(T.saKey, (r) => `${r.name} creates a service-account key; remove it and use Workload Identity Federation (GitHub) or the attached account (VM, Cloud Run)`),
  },
  {
    name: "no-basic-roles",
    level: "mandatory",
    why: "owner, editor and viewer grant thousands of permissions; no service account may hold one, CI included. People of the group get an advisory.",
    reference: "CIS 1.5, Checkov CKV_GCP_117",
    check: (r) => {
      const accounts = basicRoleMembers(r, (m) => m.startsWith("serviceAccount:"));
      return accounts.length ? `${r.name} grants the basic role ${r.props.role} to ${accounts.join(", ")}; grant the predefined roles it needs on the resources it uses` : undefined;
    },
  },
  {
    name: "no-basic-roles-for-people",
    level: "advisory",
    why: "Basic roles for people are common in a course project, but predefined roles are safer.",
    reference: "CIS 1.5, Checkov CKV_GCP_117",
    check: (r) => {
      const people = basicRoleMembers(r, (m) => m.startsWith("user:") || m.startsWith("group:"));
      return people.length ? `${r.name} grants the basic role ${r.props.role} to ${people.join(", ")}; consider predefined roles` : undefined;
    },
  },
  {
    name: "no-project-level-impersonation",
    level: "mandatory",
    why: "serviceAccountUser or serviceAccountTokenCreator on the project lets a member act as every service account in it.",
    reference: "CIS 1.6, Checkov CKV_GCP_41",
    check: (r) =>
      PROJECT_IAM.includes(r.type) && ["roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"].includes(String(r.props.role))
        ? `${r.name} grants ${r.props.role} on the whole project; grant it on the one service account that is needed`
        : undefined,
  },
  {
    name: "no-default-compute-account",
    level: "mandatory",
    why: "The Compute Engine default account is shared by everything in the project and often holds editor.",
    reference: "CIS 4.1, Checkov CKV_GCP_30",
    check: (r) => {
      if (!is(r, T.run)) return undefined;
      // Values not known yet in a preview throw inside the policy SDK, which then skips the check.
      const email = (r.props.template as Props | undefined)?.serviceAccount;
      if (email === undefined) return `Cloud Run service ${r.name} sets no service account, so it runs as the default compute account; give it its own`;
      return DEFAULT_COMPUTE_ACCOUNT.test(String(email)) ? `Cloud Run service ${r.name} runs as the default compute account; give it its own` : undefined;
    },
  },
  {
    name: "wif-provider-restricted",
    level: "mandatory",
    why: "Without a condition naming the repository, any GitHub repository could exchange its token in the pool.",
    reference: "Checkov CKV_GCP_118",
    check: forType(T.provider, (r) => {
      const condition = String(r.props.attributeCondition ?? "");
      if (!/assertion\.repository(_id)?\s*==\s*['"][^'"]+['"]|assertion\.sub\.startsWith\('repo:[^']+'\)/.test(condition)) {
        return `${r.name} must set attributeCondition to admit one repository, e.g. assertion.repository == 'owner/name'`;
      }
      const issuer = (r.props.oidc as Props | undefined)?.issuerUri;
      return issuer !== GITHUB_ISSUER ? `${r.name} must use GitHub's issuer ${GITHUB_ISSUER} (it has ${issuer ?? "none"})` : undefined;
    }),
  },
];
