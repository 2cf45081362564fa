import http from "node:http";
import type { AddressInfo } from "node:net";
import type { SimAccount } from "./account.ts";
import { AwsApiError } from "./api-error.ts";
import type { Caller } from "./iam-policy.ts";

/**
 * The simulator's AWS endpoint: one HTTP server that every SDK client in a bundle reaches through
 * `AWS_ENDPOINT_URL`. The caller is the role whose access key signed the request (the `Credential=` of the SigV4
 * `Authorization` header); the JSON protocols are dispatched on `X-Amz-Target`, the query protocol (CloudFormation)
 * on `Action`. Errors are answered as AWS answers them, so the SDK throws an error of the same name.
 */

/** A JSON-protocol service: `handle(action, input, caller)` returns the response body. */
export interface JsonService {
  handle(action: string, input: any, caller: Caller): Promise<unknown>;
}

/** A service that answers raw bodies (DynamoDB passes dynalite's answer through). */
export interface RawJsonService {
  handle(action: string, body: string, caller: Caller): Promise<{ status: number; body: string; contentType: string }>;
}

/** A query-protocol service (CloudFormation): `handle(action, params, caller)` returns XML. */
export interface QueryService {
  handle(action: string, params: URLSearchParams, caller: Caller): Promise<string>;
}

export interface EndpointServices {
  readonly json: Readonly<Record<string, JsonService>>;
  readonly raw: Readonly<Record<string, RawJsonService>>;
  readonly query: Readonly<Record<string, QueryService>>;
}

/** The X-Amz-Target prefix of each JSON-protocol service. */
const TARGET_PREFIXES: Readonly<Record<string, string>> = {
  DynamoDB_20120810: "dynamodb",
  AWSStepFunctions: "states",
  AWSEvents: "events",
  secretsmanager: "secretsmanager",
  AmazonSQS: "sqs",
};

export class Endpoint {
  private server?: http.Server;
  private readonly account: SimAccount;
  private readonly services: EndpointServices;
  /** Requests that reached no implemented action, for the lane to report. */
  readonly unsupported: string[] = [];

  constructor(account: SimAccount, services: EndpointServices) {
    this.account = account;
    this.services = services;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error("the endpoint is not listening");
    return `http://127.0.0.1:${address.port}`;
  }

  async listen(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (c: Buffer) => chunks.push(c));
      request.on("end", () => {
        this.answer(request, Buffer.concat(chunks).toString("utf8")).then(
          ({ status, body, contentType }) => {
            response.writeHead(status, { "content-type": contentType, "x-amzn-requestid": "00000000-0000-0000-0000-000000000000" });
            response.end(body);
          },
          (error: unknown) => {
            response.writeHead(500, { "content-type": "text/plain" });
            response.end(String(error));
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
  }

  private callerOf(request: http.IncomingMessage): Caller {
    const authorization = String(request.headers.authorization ?? "");
    const key = /Credential=([^/]+)\//.exec(authorization)?.[1];
    const caller = key === undefined ? undefined : this.account.callerFor(key);
    if (!caller) throw new AwsApiError("UnrecognizedClientException", "The security token included in the request is invalid.", 403);
    return caller;
  }

  private async answer(request: http.IncomingMessage, body: string): Promise<{ status: number; body: string; contentType: string }> {
    const target = String(request.headers["x-amz-target"] ?? "");
    const json = (status: number, value: unknown, contentType = "application/x-amz-json-1.1") => ({
      status,
      body: JSON.stringify(value),
      contentType,
    });
    try {
      const caller = this.callerOf(request);
      if (target) {
        const [prefix = "", action = ""] = target.split(".");
        const service = TARGET_PREFIXES[prefix];
        const raw = service === undefined ? undefined : this.services.raw[service];
        if (raw) return await raw.handle(action, body, caller);
        const handler = service === undefined ? undefined : this.services.json[service];
        if (!handler) throw this.unsupportedCall(target);
        return json(200, await handler.handle(action, JSON.parse(body || "{}"), caller));
      }
      const params = new URLSearchParams(body);
      const action = params.get("Action");
      const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(request.headers.authorization))?.[1] ?? "";
      const query = this.services.query[service];
      if (action && query) return { status: 200, body: await query.handle(action, params, caller), contentType: "text/xml" };
      throw this.unsupportedCall(`${request.method} ${request.url} (${service} ${action ?? ""})`);
    } catch (error) {
      const e = error as Error & { status?: number };
      const status = e.status ?? (e.name === "AccessDeniedException" ? 400 : 400);
      if (target) return json(status, { __type: e.name, message: e.message });
      return {
        status,
        body: `<ErrorResponse><Error><Type>Sender</Type><Code>${e.name}</Code><Message>${escapeXml(e.message)}</Message></Error></ErrorResponse>`,
        contentType: "text/xml",
      };
    }
  }

  private unsupportedCall(what: string): AwsApiError {
    this.unsupported.push(what);
    return new AwsApiError("UnsupportedOperation", `the stack simulator does not implement ${what}`);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
