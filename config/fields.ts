/** The field helpers the area schemas share: ranges, sizes, switches and zones, each with a message that names what is allowed. */
import { z } from "zod";
import * as gcp from "../lib/gcp";

/** An integer setting within [min, max], with a message that names the range. */
export function intIn(min: number, max: number, what: string) {
  return z
    .number({ error: `must be a whole number of ${what} from ${min} to ${max}` })
    .int({ error: `must be a whole number of ${what} from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min} ${what}; allowed ${min}–${max}` })
    .max(max, { error: `must be at most ${max} ${what}; allowed ${min}–${max}` });
}

/** A size in GB within [min, max] (fractions allowed), with a message that names the range. */
export function gbIn(min: number, max: number) {
  const error = `must be a size in GB from ${min} to ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

/** A yes/no setting. */
export const flag = () => z.boolean({ error: "must be true or false" });

/** A zone such as europe-west1-b. */
export const zone = () => z.string().regex(gcp.ZONE, { error: "is not a zone; a region plus a letter, e.g. europe-west1-b" });
