/** The real TrainDeps: Google's client libraries and REST, all with Application Default Credentials. */
import { BatchServiceClient } from "@google-cloud/batch";
import { v1 as aiplatform } from "@google-cloud/aiplatform";
import { GoogleAuth } from "google-auth-library";
import type { TrainDeps } from "./run";

export function googleDeps(): TrainDeps {
  const auth = new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] });
  return {
    async getJson(url) {
      const client = await auth.getClient();
      return (await client.request({ url })).data;
    },
    async submitBatch(req) {
      const [job] = await new BatchServiceClient().createJob(req);
      return { name: job.name, uid: job.uid };
    },
    async submitVertex({ region, parent, customJob }) {
      const client = new aiplatform.JobServiceClient({ apiEndpoint: `${region}-aiplatform.googleapis.com` });
      const [job] = await client.createCustomJob({ parent, customJob });
      return { name: job.name };
    },
    now: () => new Date(),
  };
}
