import type { PolicyPackArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULT_RULE_CONFIG, RULES, type RuleConfig } from "./rules";

/** The rules as Pulumi policies: same names, levels and messages as in `npm run plan`. */
export function policies(): ResourceValidationPolicy[] {
  return RULES.map((rule) => ({
    name: rule.name,
    description: rule.reference ? `${rule.why} (${rule.reference})` : rule.why,
    enforcementLevel: rule.level,
    ...(rule.name === "cloud-run-instance-cap" && {
      configSchema: { properties: { maxInstances: { type: "integer", default: DEFAULT_RULE_CONFIG.maxInstances } } },
    }),
    validateResource: (args, reportViolation) => {
      const config = rule.name === "cloud-run-instance-cap" ? { ...DEFAULT_RULE_CONFIG, ...args.getConfig<Partial<RuleConfig>>() } : DEFAULT_RULE_CONFIG;
      const message = rule.check({ type: args.type, name: args.name, props: args.props }, config);
      if (message) reportViolation(message);
    },
  }));
}

export const packArgs = (): PolicyPackArgs => ({ policies: policies() });
