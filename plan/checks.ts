/** What a plan costs and what the policy pack says of it, the two verdicts `npm run plan` prints. */
import { costFields, estimateCost, type CostEstimate } from "../lib/cost";
import { evaluate, type Violation } from "../policy/rules";
import type { Plan } from "./record";

/** The policy pack's rules over a plan's resources (what `pulumi preview --policy-pack policy` checks). */
export function planViolations(plan: Plan): Violation[] {
  return evaluate(plan.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs })));
}

/** The cost estimate over a plan's resources (the same estimator the stack exports as costEstimate). */
export function planCost(plan: Plan, region: string): CostEstimate {
  const inputs = plan.resources.flatMap((r) => {
    const fields = costFields(r.type, r.inputs);
    return fields ? [{ type: r.type, name: r.name, inputs: fields }] : [];
  });
  return estimateCost(inputs, region);
}
