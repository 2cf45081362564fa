import { randomBytes } from "node:crypto";
import type { SimAccount } from "./account.ts";
import { AwsApiError } from "./api-error.ts";
import { arn } from "./arn.ts";
import type { Caller } from "./iam-policy.ts";

/** Secrets Manager: secrets generated as `GenerateSecretString` asks, read with `GetSecretValue` (authorized on the secret's ARN). */
export class SecretsService {
  readonly secrets = new Map<string, { readonly name: string; readonly arn: string; value: string }>();
  private readonly account: SimAccount;

  constructor(account: SimAccount) {
    this.account = account;
  }

  create(name: string, props: Record<string, any>): { name: string; arn: string } {
    const spec = props.GenerateSecretString ?? {};
    const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${spec.ExcludePunctuation ? "" : "!#$%&*+-=?@^_"}`;
    const length = spec.PasswordLength ?? 32;
    const value = props.SecretString ?? Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join("");
    // Secrets Manager appends 6 random characters to a secret's ARN.
    const secret = { name, arn: arn(this.account.env, "secretsmanager", `secret:${name}-${randomBytes(3).toString("hex")}`), value };
    this.secrets.set(secret.arn, secret);
    return secret;
  }

  async handle(action: string, input: any, caller: Caller): Promise<unknown> {
    if (action !== "GetSecretValue")
      throw new AwsApiError("UnsupportedOperation", `the stack simulator does not implement secretsmanager ${action}`);
    const secret = this.secrets.get(input.SecretId) ?? [...this.secrets.values()].find((s) => s.name === input.SecretId);
    if (!secret) throw new AwsApiError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    this.account.authorize(caller, "secretsmanager:GetSecretValue", secret.arn);
    return { ARN: secret.arn, Name: secret.name, SecretString: secret.value, VersionId: "00000000-0000-0000-0000-000000000001" };
  }
}
