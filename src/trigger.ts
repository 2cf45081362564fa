import { TriggerClient } from "stepjobs";

export const client = new TriggerClient({
  id: "my-first-project",
  apiKey: process.env.TRIGGER_API_KEY,
  apiUrl: process.env.TRIGGER_API_URL,
});
