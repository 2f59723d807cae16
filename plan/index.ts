/**
 * The offline planner: runs the real program under a mock of Google Cloud, records what it registers,
 * and gives the plan's cost, policy verdict and printed forms. `npm run plan`, the other tools
 * and the tests use it.
 */
export { exitCodeOf, planCost, planViolations } from "./checks";
export { gcpMocks, type MockContext } from "./mocks";
export { projectDirOf, stackFilePath, stackFiles, type StackFile } from "./paths";
export type { Plan, PlannedResource } from "./record";
export { money, planJson, renderCost, renderPlan, renderView, renderViolations } from "./render";
export { stackView, type StackView } from "./view";
export { planConfig, planProgram, planRaw, planStackFile, type PlanResult } from "./run";
