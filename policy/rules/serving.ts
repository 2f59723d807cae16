/** Rules for Cloud Run: destroyable, capped, pinned by digest, secrets never in plain env values. */
import { forType, T, type Props, type Rule } from "./rule";

/** Env names that hold a secret by their name; a plain value under one is refused (here and by config validation). */
export const SECRET_LIKE = /KEY|TOKEN|SECRET|PASSWORD/i;
const DIGEST = /@sha256:[a-f0-9]{64}$/;

const containersOf = (p: Props): Props[] => (Array.isArray(p.template?.containers) ? p.template.containers : []);

export const SERVING_RULES: Rule[] = [
  {
    name: "cloud-run-destroyable",
    level: "mandatory",
    why: "With deletionProtection on, `pulumi destroy` and pausing fail on the service; the value in state is what counts, so it must be false from the first deploy.",
    check: forType(T.run, (r) => (r.props.deletionProtection !== false ? `Cloud Run service ${r.name} must set deletionProtection: false` : undefined)),
  },
  {
    name: "cloud-run-instance-cap",
    level: "mandatory",
    why: "A maximum instance count caps what a traffic spike or a retry loop can cost.",
    check: forType(T.run, (r, c) => {
      const max = ((r.props.template as Props | undefined)?.scaling as Props | undefined)?.maxInstanceCount;
      if (typeof max !== "number") return `Cloud Run service ${r.name} must set template.scaling.maxInstanceCount (at most ${c.maxInstances})`;
      return max > c.maxInstances ? `Cloud Run service ${r.name} allows ${max} instances; at most ${c.maxInstances} (policy config maxInstances)` : undefined;
    }),
  },
  {
    name: "cloud-run-image-digest",
    level: "mandatory",
    why: "A tag can move; an image pinned by digest makes every deploy reproducible.",
    check: forType(T.run, (r) => {
      const moving = containersOf(r.props).filter((c) => typeof c.image === "string" && !DIGEST.test(c.image));
      return moving.length
        ? `Cloud Run service ${r.name} runs ${moving.map((c) => c.image).join(", ")}; use name@sha256:… (the stack's ContainerImage resolves tags)`
        : undefined;
    }),
  },
  {
    name: "cloud-run-no-plain-secrets",
    level: "mandatory",
    why: "A key in a plain env value is visible to anyone who can read the service, and in every copy of its config.",
    check: forType(T.run, (r) => {
      const plain = containersOf(r.props).flatMap((c) =>
        (Array.isArray(c.envs) ? c.envs : [])
          .filter((e: Props) => SECRET_LIKE.test(String(e.name)) && e.value !== undefined && e.valueSource === undefined)
          .map((e: Props) => e.name),
      );
      return plain.length
        ? `Cloud Run service ${r.name} sets ${plain.join(", ")} as plain values; declare them in mlops:secrets and list them under the service's secrets`
        : undefined;
    }),
  },
];
