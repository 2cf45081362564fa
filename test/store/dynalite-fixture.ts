// The AWS SDK warns on Node 20 that future releases need Node 22; harmless here, silenced in tests only
// (the switch the SDK reads: AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, in @aws-sdk/core).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { createDocumentClient, startDynalite, type DynaliteServer } from "../../lib/store/dynalite.ts";
import { createTable } from "../../lib/store/table.ts";

/** One in-memory dynalite per test file, and a fresh table per `freshTable()` so tests do not see each other. */
export function useDynalite(): { client: () => DynamoDBDocumentClient; endpoint: () => string; freshTable: () => Promise<string> } {
  let server: DynaliteServer;
  let client: DynamoDBDocumentClient;
  let tables = 0;
  beforeAll(async () => {
    server = await startDynalite();
    client = createDocumentClient(server.endpoint);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });
  return {
    client: () => client,
    endpoint: () => server.endpoint,
    freshTable: async () => {
      const name = `stepjobs-test-${++tables}`;
      await createTable(client, name);
      return name;
    },
  };
}
