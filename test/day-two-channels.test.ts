/**
 * Alert channels across two plans, resolved as Pulumi's engine does (pkg/resource/deploy/step_generator.go:
 * "Check the URN first, then aliases"): a channel keeps its identity when another address is removed, and a
 * stack deployed with 0.2.0's channels by position keeps them on the first up of this version.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./repo";
import { planStackFile, stackFiles, type PlannedResource } from "../plan";
import { ofType, planOf, problemsOf } from "./helpers";

const CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel";
type State = Record<string, { type: string; parent: string; inputs: Record<string, unknown> }>;

/** For each channel of the new plan, the state it takes over: its own name first, then its aliases; none is a create. */
function resolve(state: State, channels: PlannedResource[]): { taken: Record<string, string | undefined>; deleted: string[] } {
  const taken: Record<string, string | undefined> = {};
  const claimed = new Set<string>();
  for (const c of channels) {
    const old = [c.name, ...(c.aliases ?? [])].find((n) => state[n]?.type === c.type && state[n].parent === c.parent);
    if (old && claimed.has(old)) throw new Error(`${old} is claimed twice (Pulumi refuses a duplicate alias)`);
    if (old) claimed.add(old);
    taken[String((c.inputs.labels as { email_address: string }).email_address)] = old;
  }
  const deleted = Object.keys(state).filter((n) => state[n].type === CHANNEL && !claimed.has(n));
  return { taken, deleted };
}

const stateOf = (channels: PlannedResource[]): State => Object.fromEntries(channels.map((c) => [c.name, c]));
const alertsOf = (emails: string[]) => ({ "mlops:alerts": { emails } });
const address = (state: State, name: string | undefined) => name && (state[name].inputs.labels as { email_address: string }).email_address;

describe("alert channels keyed by their address", () => {
  it("are named after the address, lower-cased", async () => {
    const plan = await planOf(alertsOf(["Ana@example.org", "bo@example.org"]));
    expect(ofType(plan, CHANNEL).map((c) => c.name)).toEqual(["monitoring-email-ana@example.org", "monitoring-email-bo@example.org"]);
  });

  it("removing the first address leaves the others' channels as they are and deletes only its own", async () => {
    const a = ofType(await planOf(alertsOf(["a@example.org", "b@example.org", "c@example.org"])), CHANNEL);
    const b = ofType(await planOf(alertsOf(["b@example.org", "c@example.org"])), CHANNEL);
    const { taken, deleted } = resolve(stateOf(a), b);
    expect(taken).toEqual({ "b@example.org": "monitoring-email-b@example.org", "c@example.org": "monitoring-email-c@example.org" });
    expect(deleted).toEqual(["monitoring-email-a@example.org"]);
    // Their inputs are unchanged, so Pulumi has nothing to update either.
    for (const c of b) expect(c.inputs).toEqual(stateOf(a)[c.name].inputs);
  });

  it("a new address at the front is a new channel, never one taken over through an alias", async () => {
    const a = ofType(await planOf(alertsOf(["b@example.org", "c@example.org"])), CHANNEL);
    const b = ofType(await planOf(alertsOf(["a@example.org", "b@example.org", "c@example.org"])), CHANNEL);
    const { taken, deleted } = resolve(stateOf(a), b);
    expect(taken).toEqual({ "a@example.org": undefined, "b@example.org": "monitoring-email-b@example.org", "c@example.org": "monitoring-email-c@example.org" });
    expect(deleted).toEqual([]);
  });

  it("the same address twice is a config error naming both entries", () => {
    expect(problemsOf(alertsOf(["a@example.org", "b@example.org", "A@example.org"]))).toContain(
      "mlops:alerts.emails[2]: A@example.org is already listed at emails[0]; list each address once",
    );
  });
});

describe("upgrading from 0.2.0, whose channels were named by position", () => {
  // 0.2.0's channels of each example as its reviewed golden held them (name → address), in the stack file's order.
  const deployed = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures/channels-0.2.0.json"), "utf8")).channels as Record<string, Record<string, string>>;
  const v020 = (emails: string[]): State =>
    Object.fromEntries(
      emails.map((email, i) => [`monitoring-email-${i}`, { type: CHANNEL, parent: "monitoring", inputs: { labels: { email_address: email } } }]),
    );
  const examples = stackFiles(REPO_ROOT).filter((f) => deployed[f.stack]);

  it("has every example with alert addresses in its record of 0.2.0", () => {
    expect(examples.map((f) => f.stack).sort()).toEqual(Object.keys(deployed).sort());
  });

  it.each(examples.map((f) => [f.stack, f.file]))("%s keeps each of its deployed channels for the same address", async (stack, file) => {
    const before = v020(Object.values(deployed[stack]));
    expect(Object.keys(before)).toEqual(Object.keys(deployed[stack]));
    const r = await planStackFile(file);
    if (!r.ok) throw new Error(r.problems.join("\n"));
    const { taken, deleted } = resolve(before, ofType(r.plan, CHANNEL));
    for (const [email, old] of Object.entries(taken)) expect(address(before, old), email).toBe(email);
    expect(deleted).toEqual([]);
  });

  it("with the list as deployed, every address takes over its own old channel", async () => {
    const state = v020(["a@example.org", "b@example.org", "c@example.org"]);
    const { taken, deleted } = resolve(state, ofType(await planOf(alertsOf(["a@example.org", "b@example.org", "c@example.org"])), CHANNEL));
    expect(taken).toEqual({ "a@example.org": "monitoring-email-0", "b@example.org": "monitoring-email-1", "c@example.org": "monitoring-email-2" });
    expect(deleted).toEqual([]);
  });

  it("after that first up, removing an address moves no channel: the old names are gone from the state", async () => {
    const upgraded = ofType(await planOf(alertsOf(["a@example.org", "b@example.org", "c@example.org"])), CHANNEL);
    const later = ofType(await planOf(alertsOf(["b@example.org", "c@example.org"])), CHANNEL);
    // b and c still carry aliases to -email-0 and -email-1, but nothing in the state answers to them any more.
    expect(later.map((c) => c.aliases)).toEqual([["monitoring-email-0"], ["monitoring-email-1"]]);
    const { taken } = resolve(stateOf(upgraded), later);
    expect(taken).toEqual({ "b@example.org": "monitoring-email-b@example.org", "c@example.org": "monitoring-email-c@example.org" });
  });

  it("removing an address in the same up as the upgrade shifts the others onto their neighbours' channels: an update of the address, no replacement", async () => {
    // Why CHANGELOG says to upgrade with the list unchanged: the program cannot see 0.2.0's order, only today's.
    const state = v020(["a@example.org", "b@example.org", "c@example.org"]);
    const { taken, deleted } = resolve(state, ofType(await planOf(alertsOf(["b@example.org", "c@example.org"])), CHANNEL));
    expect(Object.fromEntries(Object.entries(taken).map(([email, old]) => [email, address(state, old)]))).toEqual({
      "b@example.org": "a@example.org",
      "c@example.org": "b@example.org",
    });
    expect(deleted).toEqual(["monitoring-email-2"]);
  });
});
