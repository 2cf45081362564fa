import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Caller } from "./iam-policy.ts";
import type { LambdaService, SimFunction } from "./lambda-service.ts";

/**
 * A Lambda function URL: a real HTTP server that turns each request into the payload-2.0 event and the handler's
 * answer into the response, after the function's resource policy admits the anonymous caller (`AuthType: NONE`
 * needs `lambda:InvokeFunctionUrl` for `*`, and `lambda:InvokeFunction` with `lambda:InvokedViaFunctionUrl`).
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 */
export class FunctionUrlServer {
  private server?: http.Server;
  private readonly fn: SimFunction;
  private readonly lambda: LambdaService;
  private readonly authorize: (action: string, context: Record<string, string | boolean>) => void;

  constructor(fn: SimFunction, lambda: LambdaService, authorize: (action: string, context: Record<string, string | boolean>) => void) {
    this.fn = fn;
    this.lambda = lambda;
    this.authorize = authorize;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/`;
  }

  async listen(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (c: Buffer) => chunks.push(c));
      request.on("end", () => {
        void this.answer(request, Buffer.concat(chunks)).then(({ status, headers, body }) => {
          response.writeHead(status, headers);
          response.end(body);
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
  }

  private async answer(
    request: http.IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const json = (status: number, message: string) => ({
      status,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ Message: message }),
    });
    try {
      this.authorize("lambda:InvokeFunctionUrl", { "lambda:FunctionUrlAuthType": "NONE" });
      this.authorize("lambda:InvokeFunction", { "lambda:InvokedViaFunctionUrl": true });
    } catch {
      return json(403, "Forbidden");
    }
    const url = new URL(request.url ?? "/", "http://localhost");
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]));
    const text = body.toString("utf8");
    const isText = /json|text|xml|form-urlencoded/.test(headers["content-type"] ?? "") || body.length === 0;
    const event = {
      version: "2.0",
      routeKey: "$default",
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
      requestContext: {
        http: {
          method: request.method ?? "GET",
          path: url.pathname,
          protocol: "HTTP/1.1",
          sourceIp: request.socket.remoteAddress ?? "",
          userAgent: headers["user-agent"] ?? "",
        },
        requestId: "sim",
        routeKey: "$default",
        stage: "$default",
        timeEpoch: Date.now(),
      },
      body: isText ? text : body.toString("base64"),
      isBase64Encoded: !isText,
    };
    let result;
    try {
      result = await this.lambda.run(this.fn, undefined, event);
    } catch (error) {
      const e = error as Error & { status?: number };
      return json(e.status ?? 502, e.message);
    }
    if (!result.ok) return json(502, "Internal Server Error");
    const answer = result.payload as {
      statusCode?: number;
      headers?: Record<string, string>;
      body?: string;
      isBase64Encoded?: boolean;
    } | null;
    if (answer && typeof answer === "object" && typeof answer.statusCode === "number") {
      const out = answer.isBase64Encoded ? Buffer.from(answer.body ?? "", "base64").toString("utf8") : (answer.body ?? "");
      return { status: answer.statusCode, headers: answer.headers ?? {}, body: out };
    }
    return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(answer) };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The anonymous caller of a function URL with `AuthType: NONE`. */
export const ANONYMOUS: Caller = { kind: "service", service: "*anonymous*" };
