/** What a plan costs and what the policy pack says of it, the two verdicts `npm run plan` prints. */
import { costFields, estimateCost, type Assumptions, type CostEstimate } from "../lib/cost";
import { evaluate, type Violation } from "../policy/rules";
import type { Plan } from "./record";

/** The policy pack's rules over a plan's resources (what `pulumi preview --policy-pack policy` checks). */
export function planViolations(plan: Plan): Violation[] {
  return evaluate(plan.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs })));
}

/** The cost estimate over a plan's resources (the same estimator the stack exports as costEstimate). */
export function planCost(plan: Plan, region: string, assume?: Assumptions): CostEstimate {
  const inputs = plan.resources.flatMap((r) => {
    const fields = costFields(r.type, r.inputs);
    return fields ? [{ type: r.type, name: r.name, inputs: fields }] : [];
  });
  return estimateCost(inputs, region, assume);
}

/** What `npm run plan` exits with: 2 for a config it refuses, 3 when a mandatory policy is violated, else 0. */
export function exitCodeOf(problems: string[] | undefined, violations: Violation[]): 0 | 2 | 3 {
  if (problems?.length) return 2;
  return violations.some((v) => v.level === "mandatory") ? 3 : 0;
}
