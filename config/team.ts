/** The group's people and the project roles they get. */
import { z } from "zod";

const MEMBER = /^(user|group|serviceAccount):[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const team = z
  .strictObject({
    members: z
      .array(z.string().regex(MEMBER, { error: "must be user:EMAIL, group:EMAIL or serviceAccount:EMAIL" }), { error: "must be a list of members" })
      .min(1, { error: "must name at least one member" })
      .describe("The group's people, as user:EMAIL or group:EMAIL."),
    roles: z
      .array(z.string().regex(/^roles\/[A-Za-z0-9_.]+$/, { error: "must be a predefined role such as roles/editor" }), { error: "must be a list of roles" })
      .min(1, { error: "must name at least one role, e.g. roles/editor" })
      .describe("Project roles every member gets."),
  })
  .optional()
  .describe("People of the group and the project roles they get.");
