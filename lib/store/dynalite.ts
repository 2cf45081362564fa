import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import { closeDataDir, type IndexRepair, openDataDir } from "./dynalite-recovery.ts";

/**
 * dynalite (an in-process DynamoDB on LevelDB) for `stepjobs dev` and the store tests, so both run the same
 * store code as AWS. It supports conditional writes and GSIs, not transactions (ARCHITECTURE §10).
 */

/** A running dynalite. */
export interface DynaliteServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Stops the server and closes its LevelDB (flushes a data dir and marks it closed cleanly). */
  close(): Promise<void>;
  /** With a data dir the last process did not close: what rebuilding its indexes changed. */
  readonly repair?: IndexRepair;
}

/** Options of {@link startDynalite}. */
export interface StartDynaliteOptions {
  /** LevelDB directory; in memory when absent. */
  readonly path?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /**
   * Run dynalite (its HTTP server, request parsing and LevelDB calls) on a worker thread, so it uses a core of its
   * own instead of sharing the event loop with the API and the runs.
   * @default false
   */
  readonly thread?: boolean;
}

/**
 * Starts dynalite on 127.0.0.1. Table create/delete/update take no simulated time (dynalite defaults to
 * 500 ms in CREATING), so a fresh table is usable at once. A data dir left open by a killed process has its
 * indexes rebuilt from the tables first (see dynalite-recovery.ts).
 */
export async function startDynalite(options: StartDynaliteOptions = {}): Promise<DynaliteServer> {
  const repair = options.path === undefined ? undefined : await openDataDir(options.path);
  const server = await (options.thread ? startDynaliteThread(options) : startDynaliteInProcess(options));
  if (options.path === undefined) return server;
  const dir = options.path;
  return {
    endpoint: server.endpoint,
    repair,
    close: async () => {
      await server.close();
      closeDataDir(dir);
    },
  };
}

async function startDynaliteInProcess(options: StartDynaliteOptions): Promise<DynaliteServer> {
  const server = dynalite(dynaliteOptions(options));
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

/** dynalite's options, in process or on the thread: table changes take no simulated time. */
function dynaliteOptions(options: StartDynaliteOptions) {
  return { path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };
}

/** The worker's script: CommonJS (an `eval` worker), so no file has to ship beside the compiled module. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const server = require(workerData.dynalite)(workerData.options);
server.once("error", (error) => parentPort.postMessage({ error: error.message }));
server.listen(workerData.port, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.on("message", (message) => {
  if (message === "close") server.close((error) => { parentPort.postMessage({ closed: true, error: error && error.message }); parentPort.close(); });
});
`;

async function startDynaliteThread(options: StartDynaliteOptions): Promise<DynaliteServer> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      dynalite: createRequire(import.meta.url).resolve("dynalite"),
      options: dynaliteOptions(options),
      port: options.port ?? 0,
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    worker.once("error", failed);
    worker.once("message", (message: { port?: number; error?: string }) => {
      worker.off("error", failed);
      if (message.port === undefined) reject(new Error(`dynalite did not start: ${message.error}`));
      else resolve(message.port);
    });
  });
  // From here an error in the worker is unhandled on purpose: like dynalite failing in-process, it stops the
  // process, and unfinished runs resume from the store on the next start. So does the thread ending on its own.
  let closing = false;
  worker.once("exit", (code) => {
    if (!closing) throw new Error(`dynalite's worker thread exited with code ${code}; the store is gone`);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      closing = true;
      const closed = new Promise<{ error?: string }>((resolve) => worker.once("message", resolve));
      worker.postMessage("close");
      const { error } = await closed;
      await worker.terminate();
      if (error) throw new Error(error);
    },
  };
}

/** The shape dynalite wants (algorithm, Credential, SignedHeaders, Signature, a date); nothing checks the values. */
const LOCAL_AUTHORIZATION =
  "AWS4-HMAC-SHA256 Credential=stepjobs-local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=local";
const LOCAL_AMZ_DATE = "20260101T000000Z";

/**
 * A DynamoDB DocumentClient for a local endpoint: region us-east-1 and dummy credentials (dynalite checks
 * neither). `removeUndefinedValues` lets optional fields be omitted rather than rejected:
 * https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-lib-dynamodb/
 */
export function createDocumentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createLocalClient(endpoint), { marshallOptions: { removeUndefinedValues: true } });
}

/** The plain DynamoDB client for a local endpoint (the dev runtime's DynamoDB states send the API's own requests). */
export function createLocalClient(endpoint: string): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "stepjobs-local", secretAccessKey: "stepjobs-local" },
    // dynalite checks that a request carries a SigV4-shaped Authorization header, never the signature; signing
    // every request is about a fifth of a local write's CPU (bench/README.md), so requests are not signed.
    httpAuthSchemeProvider: () => [{ schemeId: "smithy.api#noAuth" }],
    httpAuthSchemes: [
      { schemeId: "smithy.api#noAuth", identityProvider: () => async () => ({}), signer: { sign: async (request) => request } },
    ],
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string> };
      request.headers.authorization = LOCAL_AUTHORIZATION;
      request.headers["x-amz-date"] = LOCAL_AMZ_DATE;
      return next(args);
    },
    { step: "finalizeRequest", name: "stepjobsLocalAuthorization" },
  );
  return client;
}
