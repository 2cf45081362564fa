/** An AWS API error as the JSON protocols return it: `__type` names it, the SDK throws an error of that name. */
export class AwsApiError extends Error {
  readonly status: number;
  constructor(name: string, message: string, status = 400) {
    super(message);
    this.name = name;
    this.status = status;
  }
}
