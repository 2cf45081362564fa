import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";

/**
 * dynalite (an in-process DynamoDB on LevelDB) for `stepjobs dev` and the store tests, so both run the same
 * store code as AWS. It supports conditional writes and GSIs, not transactions (ARCHITECTURE §10).
 */

/** A running dynalite. */
export interface DynaliteServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Stops the server and closes its LevelDB (flushes a data dir). */
  close(): Promise<void>;
}

/** Options of {@link startDynalite}. */
export interface StartDynaliteOptions {
  /** LevelDB directory; in memory when absent. */
  readonly path?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
}

/**
 * Starts dynalite on 127.0.0.1. Table create/delete/update take no simulated time (dynalite defaults to
 * 500 ms in CREATING), so a fresh table is usable at once.
 */
export async function startDynalite(options: StartDynaliteOptions = {}): Promise<DynaliteServer> {
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error?: Error) => (error ? reject(error) : resolve()))),
  };
}

/**
 * A DynamoDB DocumentClient for a local endpoint: region us-east-1 and dummy credentials (dynalite checks
 * neither). `removeUndefinedValues` lets optional fields be omitted rather than rejected:
 * https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-lib-dynamodb/
 */
export function createDocumentClient(endpoint: string): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "stepjobs-local", secretAccessKey: "stepjobs-local" },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
