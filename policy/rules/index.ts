/**
 * The security and cost rules, written once: the policy pack (policy/index.ts) runs them in `pulumi preview`
 * and `npm run plan` runs them over the offline plan. One file per concern; this one lists them and runs them.
 */
import { CI_RULES } from "./ci";
import { COST_RULES } from "./cost";
import { IDENTITY_RULES } from "./identity";
import { DEFAULT_RULE_CONFIG, type CheckedResource, type Rule, type RuleConfig, type Violation } from "./rule";
import { SERVING_RULES } from "./serving";
import { STORAGE_RULES } from "./storage";

export { DEFAULT_RULE_CONFIG, type CheckedResource, type Level, type Rule, type RuleConfig, type Violation } from "./rule";

/** Every rule, in the order violations are reported. */
export const RULES: Rule[] = [...STORAGE_RULES, ...IDENTITY_RULES, ...SERVING_RULES, ...COST_RULES, ...CI_RULES];

/** Every violation of every rule in a set of resources. */
export function evaluate(resources: CheckedResource[], config: RuleConfig = DEFAULT_RULE_CONFIG): Violation[] {
  return resources.flatMap((r) =>
    RULES.flatMap((rule) => {
      const message = rule.check(r, config);
      return message ? [{ policy: rule.name, resource: r.name, level: rule.level, message }] : [];
    }),
  );
}
