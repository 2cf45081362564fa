import { EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { LambdaFunctionURLEvent } from "aws-lambda";
import { toPutEventsEntry } from "../lib/ingest/bus-event.ts";
import {
  ApiError,
  apiErrorBody,
  checkEventBodySize,
  checkEventContentType,
  eventValidationError,
  invalidEventAsApiError,
  parseEventBody,
} from "../lib/ingest/event-request.ts";
import { presentsKey } from "../lib/ingest/api-key.ts";
import { checkEventFits } from "../lib/ingest/event-size.ts";
import { normalizeEvent, validateEvent } from "../lib/ingest/ingest-event.ts";
import type { ValidatedJob, Validators } from "../lib/ingest/validate.ts";

/** The part of the EventBridge client the API uses; tests pass a recording one. */
export interface PutEventsPort {
  send(command: PutEventsCommand): Promise<Pick<PutEventsCommandOutput, "FailedEntryCount" | "Entries">>;
}

/** What the API handler needs. */
export interface ApiHandlerDeps {
  readonly jobs: readonly ValidatedJob[];
  readonly validators: Validators;
  readonly busName: string;
  /** Reads the API key (from Secrets Manager in AWS); cached per container, see {@link KEY_CACHE_MS}. */
  readonly apiKey: () => Promise<string>;
  readonly eventBridge: PutEventsPort;
  readonly now?: () => Date;
  readonly newId?: () => string;
  /** Milliseconds for the key cache. @default Date.now */
  readonly clock?: () => number;
}

/** The structured Function URL response this API always returns (JSON body). */
export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * How long a container keeps the key it read: a rotated key (updated secret) is taken up within 5 minutes, and a
 * failed read is never kept, so a throttled or denied GetSecretValue is retried on the next request.
 */
export const KEY_CACHE_MS = 5 * 60 * 1000;

/** The key, read at most once per {@link KEY_CACHE_MS}; a failed read is forgotten at once. */
export function cachedKey(read: () => Promise<string>, now: () => number = Date.now): () => Promise<string> {
  let cached: { key: Promise<string>; at: number } | undefined;
  return () => {
    if (!cached || now() - cached.at >= KEY_CACHE_MS) {
      const key = read();
      const entry = { key, at: now() };
      cached = entry;
      key.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.key;
  };
}

function respond(status: number, body: unknown): ApiResponse {
  return { statusCode: status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/**
 * `POST /api/v1/events` on a Lambda Function URL: bearer key (SHA-256, constant time), the same body checks as
 * `stepjobs dev` (415, 413, 400), synchronous schema validation for every listening job (400 with each issue's
 * JSON pointer), then `PutEvents`. A failed entry is a 503 the client may retry with the same id, never a silent
 * 202 (PutEvents reports failures per entry: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html).
 * Answers 202 `{ id, runs }`; run ids are deterministic, so they are known before ingest starts them.
 */
export function createApiHandler(deps: ApiHandlerDeps) {
  const apiKey = cachedKey(deps.apiKey, deps.clock);
  return async (request: LambdaFunctionURLEvent): Promise<ApiResponse> => {
    try {
      const method = request.requestContext.http.method;
      if (request.rawPath !== "/api/v1/events") throw new ApiError(404, "NOT_FOUND", `no route ${method} ${request.rawPath}`);
      if (method !== "POST") throw new ApiError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on /api/v1/events; use POST`);
      let key: string;
      try {
        key = await apiKey();
      } catch (error) {
        console.error(error);
        throw new ApiError(503, "UNAVAILABLE", "the API could not read its key from Secrets Manager; retry");
      }
      if (!presentsKey(request.headers?.authorization, key)) {
        throw new ApiError(401, "UNAUTHORIZED", "missing or wrong API key: send Authorization: Bearer <TRIGGER_API_KEY>");
      }
      checkEventContentType(request.headers?.["content-type"]);
      const body = Buffer.from(request.body ?? "", request.isBase64Encoded ? "base64" : "utf8");
      checkEventBodySize(body.length);
      const incoming = parseEventBody(body.toString("utf8"));
      let event;
      try {
        event = normalizeEvent(incoming, (deps.now ?? (() => new Date()))(), deps.newId);
      } catch (error) {
        throw invalidEventAsApiError(error);
      }
      const verdict = validateEvent(event, deps.jobs, deps.validators);
      if (verdict.status === "REJECTED") throw eventValidationError(event, verdict.errors);
      try {
        checkEventFits(
          event,
          verdict.runs.map((run) => run.id),
        );
      } catch (error) {
        throw invalidEventAsApiError(error);
      }
      const result = await deps.eventBridge.send(new PutEventsCommand({ Entries: [toPutEventsEntry(event, deps.busName)] }));
      if ((result.FailedEntryCount ?? 0) > 0) {
        const entry = result.Entries?.[0];
        throw new ApiError(
          503,
          "PUT_EVENTS_FAILED",
          `EventBridge did not accept the event (${entry?.ErrorCode}: ${entry?.ErrorMessage}); retry with the same id`,
          {
            id: event.id,
          },
        );
      }
      return respond(202, { id: event.id, runs: verdict.runs });
    } catch (error) {
      if (error instanceof ApiError) return respond(error.status, apiErrorBody(error));
      console.error(error);
      return respond(500, { error: { code: "INTERNAL", message: "internal error; see the API function's logs" } });
    }
  };
}

/** Production wiring from the environment the `StepJobs` construct sets (EVENT_BUS_NAME, API_KEY_SECRET_ARN). */
export function apiDepsFromEnv(jobs: readonly ValidatedJob[], validators: Validators): ApiHandlerDeps {
  const busName = process.env.EVENT_BUS_NAME;
  const secretArn = process.env.API_KEY_SECRET_ARN;
  if (!busName || !secretArn) throw new Error("EVENT_BUS_NAME and API_KEY_SECRET_ARN must be set");
  const secrets = new SecretsManagerClient({});
  return {
    jobs,
    validators,
    busName,
    eventBridge: new EventBridgeClient({}),
    apiKey: async () => {
      const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
      if (!secret.SecretString) throw new Error(`secret ${secretArn} has no SecretString`);
      return secret.SecretString;
    },
  };
}
