/** Rules for Cloud Storage: buckets stay private and keep the versions DVC reads. */
import { forType, membersOf, T, type Props, type Rule } from "./rule";

const BUCKET_IAM = ["gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding"];
const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"];

export const STORAGE_RULES: Rule[] = [
  {
    name: "bucket-public-access-prevention",
    level: "mandatory",
    why: "Public access prevention makes it impossible to expose a bucket's data to the internet, whatever IAM says.",
    reference: "Checkov CKV_GCP_114",
    check: forType(T.bucket, (r) =>
      r.props.publicAccessPrevention !== "enforced"
        ? `bucket ${r.name} must set publicAccessPrevention: "enforced" (it is ${JSON.stringify(r.props.publicAccessPrevention ?? "unset")})`
        : undefined,
    ),
  },
  {
    name: "bucket-uniform-access",
    level: "mandatory",
    why: "Uniform bucket-level access turns off per-object ACLs, so bucket IAM is the only way in.",
    reference: "CIS 5.2, Checkov CKV_GCP_29",
    check: forType(T.bucket, (r) => (r.props.uniformBucketLevelAccess !== true ? `bucket ${r.name} must set uniformBucketLevelAccess: true` : undefined)),
  },
  {
    name: "bucket-not-public",
    level: "mandatory",
    why: "A bucket granted to allUsers or allAuthenticatedUsers is readable by anyone on the internet.",
    reference: "CIS 5.1, Checkov CKV_GCP_28",
    check: (r) => {
      if (!BUCKET_IAM.includes(r.type)) return undefined;
      const open = membersOf(r.props).filter((m) => PUBLIC_MEMBERS.includes(m));
      return open.length
        ? `${r.name} grants ${r.props.role} on a bucket to ${open.join(", ")}; grant it to the service account that needs it instead`
        : undefined;
    },
  },
  {
    name: "bucket-versioning",
    level: "mandatory",
    why: "The data and models buckets keep old versions: DVC's version_aware remote reads them, and a bad upload can be undone.",
    reference: "Checkov CKV_GCP_78",
    check: forType(T.bucket, (r) => {
      const bucket = (r.props.labels as Props | undefined)?.bucket;
      if (bucket !== "data" && bucket !== "models") return undefined;
      return (r.props.versioning as Props | undefined)?.enabled === true ? undefined : `bucket ${r.name} (${bucket}) must set versioning: { enabled: true }`;
    }),
  },
];
