/**
 * APIs enabled in an order a new project accepts: the provider enables an API through Service Usage and reads
 * it back through Cloud Resource Manager, so every other API waits for both (read from the plan's dependsOn).
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { APIS, FOUNDATION_APIS } from "../components/project-services";
import { planStackFile, stackFiles } from "../plan";
import { ofType } from "./helpers";

const SERVICE = "gcp:projects/service:Service";
const foundation: string[] = FOUNDATION_APIS.map((a) => APIS[a].api);

describe.each(stackFiles().map((f) => [path.basename(f.file), f.file]))("%s: the APIs", (_name, file) => {
  it("wait for Service Usage and Cloud Resource Manager, which wait for no other API", async () => {
    const r = await planStackFile(file);
    if (!r.ok) throw new Error(r.problems.join("\n"));
    const services = ofType(r.plan, SERVICE);
    const nameOf = new Map(services.map((s) => [String(s.inputs.service), s.name]));
    const base = foundation.map((api) => nameOf.get(api));
    expect(base.every(Boolean), "both foundation APIs are enabled").toBe(true);
    for (const s of services) {
      const waitsFor = s.dependsOn.filter((d) => services.some((x) => x.name === d));
      if (foundation.includes(String(s.inputs.service))) expect(waitsFor, s.name).toEqual([]);
      else expect(waitsFor, s.name).toEqual(expect.arrayContaining(base));
    }
  });
});
