import { describe, expect, it } from "vitest";
import { evaluate, type PolicyDocument, wildcardMatch } from "./iam-policy.ts";

/**
 * The simulator's IAM evaluator against AWS's documented examples: the policy evaluation logic
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html), the condition
 * operators (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
 * and the Step Functions version/alias example (https://docs.aws.amazon.com/step-functions/latest/dg/auth-version-alias.html).
 */
const role = { kind: "role", arn: "arn:aws:iam::123456789012:role/app", account: "123456789012" } as const;
const SM = "arn:aws:states:us-east-1:123456789012:stateMachine:myStateMachine";
const allow = (statement: Record<string, unknown>): PolicyDocument => ({ Statement: [{ Effect: "Allow", ...statement } as never] });

describe("evaluate", () => {
  it("implicit deny: nothing allows it", () => {
    expect(evaluate({ caller: role, action: "states:StartExecution", resource: SM }, [])).toEqual({
      decision: "DENY",
      explicit: false,
      reason: "no statement allows it (implicit deny)",
    });
  });

  it("an explicit Deny overrides any Allow", () => {
    const docs = [
      allow({ Action: "states:*", Resource: "*" }),
      { Statement: [{ Effect: "Deny" as const, Action: "states:StartExecution", Resource: SM, Sid: "NoStart" }] },
    ];
    expect(evaluate({ caller: role, action: "states:StartExecution", resource: SM }, docs)).toMatchObject({
      decision: "DENY",
      explicit: true,
    });
    expect(evaluate({ caller: role, action: "states:DescribeStateMachine", resource: SM }, docs)).toEqual({
      decision: "ALLOW",
      by: "identity",
    });
  });

  it("actions match case-insensitively with wildcards; resources case-sensitively", () => {
    const docs = [allow({ Action: "States:Start*", Resource: "arn:aws:states:*:123456789012:stateMachine:my*" })];
    expect(evaluate({ caller: role, action: "states:StartExecution", resource: SM }, docs).decision).toBe("ALLOW");
    expect(evaluate({ caller: role, action: "states:StartExecution", resource: SM.replace("my", "My") }, docs).decision).toBe("DENY");
  });

  it("the alias example: an alias start is authorized on the unqualified ARN, scoped by states:StateMachineQualifier", () => {
    const docs = [
      allow({
        Action: "states:StartExecution",
        Resource: SM,
        Condition: { "ForAnyValue:StringEquals": { "states:StateMachineQualifier": ["PROD"] } },
      }),
    ];
    const start = (qualifier?: string) =>
      evaluate(
        {
          caller: role,
          action: "states:StartExecution",
          resource: SM,
          context: qualifier ? { "states:StateMachineQualifier": qualifier } : {},
        },
        docs,
      ).decision;
    expect([start("PROD"), start("1"), start()]).toEqual(["ALLOW", "DENY", "DENY"]);
    // A grant on the alias ARN itself never matches: Step Functions does not authorize on it.
    expect(
      evaluate({ caller: role, action: "states:StartExecution", resource: SM, context: { "states:StateMachineQualifier": "PROD" } }, [
        allow({ Action: "states:StartExecution", Resource: `${SM}:PROD` }),
      ]).decision,
    ).toBe("DENY");
  });

  it("resource policies: a service principal with a source condition (EventBridge to SQS); no identity policies for services", () => {
    const queue = "arn:aws:sqs:us-east-1:123456789012:q";
    const policy: PolicyDocument = {
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: queue,
          Condition: { ArnLike: { "aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/bus/*" } },
        },
        {
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: "sqs:*",
          Resource: queue,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    };
    const events = { kind: "service", service: "events.amazonaws.com" } as const;
    const send = (source: string, secure = true) =>
      evaluate(
        { caller: events, action: "sqs:SendMessage", resource: queue, context: { "aws:SourceArn": source, "aws:SecureTransport": secure } },
        [],
        [policy],
      );
    expect(send("arn:aws:events:us-east-1:123456789012:rule/bus/job-a")).toEqual({ decision: "ALLOW", by: "resource" });
    expect(send("arn:aws:events:us-east-1:123456789012:rule/other-bus/job-a").decision).toBe("DENY");
    expect(
      evaluate(
        { caller: role, action: "sqs:SendMessage", resource: queue, context: { "aws:SecureTransport": false } },
        [allow({ Action: "sqs:*", Resource: "*" })],
        [policy],
      ),
    ).toMatchObject({ decision: "DENY", explicit: true });
  });

  it("an account principal in a resource policy delegates to identity policies; it grants nothing by itself", () => {
    const policy: PolicyDocument = {
      Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "sqs:*", Resource: "*" }],
    };
    expect(
      evaluate({ caller: role, action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:123456789012:q" }, [], [policy]).decision,
    ).toBe("DENY");
  });

  it("ForAllValues with a missing key holds (AWS's documented pitfall); Null and IfExists behave as documented", () => {
    const leading = allow({
      Action: "dynamodb:UpdateItem",
      Resource: "*",
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["RUN#*"] } },
    });
    const update = (keys?: string[]) =>
      evaluate({ caller: role, action: "dynamodb:UpdateItem", resource: "t", context: keys ? { "dynamodb:LeadingKeys": keys } : {} }, [
        leading,
      ]).decision;
    expect([update(["RUN#a"]), update(["EVENT#a"]), update(["RUN#a", "EVENT#b"]), update()]).toEqual(["ALLOW", "DENY", "DENY", "ALLOW"]);
    const nullCheck = allow({ Action: "s3:GetObject", Resource: "*", Condition: { Null: { "aws:TokenIssueTime": "false" } } });
    expect(
      evaluate({ caller: role, action: "s3:GetObject", resource: "o", context: { "aws:TokenIssueTime": "t" } }, [nullCheck]).decision,
    ).toBe("ALLOW");
    expect(evaluate({ caller: role, action: "s3:GetObject", resource: "o" }, [nullCheck]).decision).toBe("DENY");
    const ifExists = allow({ Action: "s3:GetObject", Resource: "*", Condition: { StringEqualsIfExists: { "s3:prefix": "home/" } } });
    expect(evaluate({ caller: role, action: "s3:GetObject", resource: "o" }, [ifExists]).decision).toBe("ALLOW");
    expect(evaluate({ caller: role, action: "s3:GetObject", resource: "o", context: { "s3:prefix": "etc/" } }, [ifExists]).decision).toBe(
      "DENY",
    );
  });

  it("an operator the simulator does not model is an error, never a silent allow", () => {
    const numeric = allow({ Action: "s3:GetObject", Resource: "*", Condition: { NumericLessThan: { "s3:max-keys": "10" } } });
    expect(() => evaluate({ caller: role, action: "s3:GetObject", resource: "o", context: { "s3:max-keys": "5" } }, [numeric])).toThrow(
      "the IAM simulator does not implement condition operator NumericLessThan",
    );
  });
});

describe("wildcardMatch", () => {
  it.each([
    ["arn:aws:lambda:*:*:function:StepJobs_*", "arn:aws:lambda:us-east-1:1:function:StepJobs_job:3", true],
    ["arn:aws:lambda:*:*:function:StepJobs_*", "arn:aws:lambda:us-east-1:1:function:Other_job", false],
    ["a?c", "abc", true],
    ["a?c", "abbc", false],
    ["a.b", "axb", false],
  ])("%s ~ %s is %s", (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected);
  });
});
