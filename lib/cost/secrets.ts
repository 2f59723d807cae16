/** Secret Manager: each active secret version per month. */
import prices from "../prices.json";
import { usd, type Pricing } from "./items";

export const SECRET_PRICING: Record<string, Pricing> = {
  "gcp:secretmanager/secretVersion:SecretVersion": {
    fields: [],
    estimate: (r) => [
      {
        resource: r.name,
        kind: "idle",
        usd: prices.secrets.price,
        basis: `one active version × ${usd(prices.secrets.price, 2)}/month (6 free per billing account)`,
      },
    ],
  },
};
