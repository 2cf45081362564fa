/**
 * The matcher against the examples of the EventBridge user guide. Patterns (and events, where the guide gives
 * one) are copied verbatim from:
 *  - "Event patterns"                 https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 *  - "Content filtering in Amazon EventBridge event patterns"
 *                                     https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 *  - "Comparison operators"           https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 *  - "Arrays in event patterns"       https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
 *  - AWS User Notifications "$or"     https://docs.aws.amazon.com/notifications/latest/userguide/common-usecases.html
 * Where the guide shows only a pattern, the events below are ours and named "(our event)".
 */
import { describe, expect, it } from "vitest";
import { InvalidEventPatternError } from "../../lib/ingest/errors.ts";
import { compileEventPattern, eventPatternFor, matchEventPattern, type EventPattern } from "../../lib/ingest/event-pattern.ts";

const ec2TerminatedEvent = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: {
    "instance-id": "i-1234567890abcdef0",
    state: "terminated",
  },
};

const ec2TerminationPattern = {
  source: ["aws.ec2"],
  "detail-type": ["EC2 Instance State-change Notification"],
  detail: {
    state: ["terminated"],
  },
};

const autoScalingEvent = {
  version: "0",
  id: "3e3c153a-8339-4e30-8c35-687ebef853fe",
  "detail-type": "EC2 Instance Launch Successful",
  source: "aws.autoscaling",
  account: "123456789012",
  time: "2015-11-11T21:31:47Z",
  region: "us-east-1",
  resources: [],
  detail: {
    eventVersion: "",
    responseElements: null,
  },
};

// The guide's Macie Classic event, "which is truncated" (its trailing "..." removed).
const macieAlertEvent = {
  version: "0",
  id: "3e355723-fca9-4de3-9fd7-154c289d6b59",
  "detail-type": "Macie Alert",
  source: "aws.macie",
  account: "123456789012",
  time: "2017-04-24T22:28:49Z",
  region: "us-east-1",
  resources: [
    "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id",
    "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id",
  ],
  detail: {
    "notification-type": "ALERT_CREATED",
    name: "Scanning bucket policies",
    tags: ["Custom_Alert", "Insider"],
    url: "https://lb00.us-east-1.macie.aws.amazon.com/111122223333/posts/alert_id",
    "alert-arn": "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_",
    "risk-score": 80,
    trigger: {
      "rule-arn": "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id",
      "alert-type": "basic",
      "created-at": "2017-01-02 19:54:00.644000",
      description: "Alerting on failed enumeration of large number of bucket policies",
      risk: 8,
    },
    "created-at": "2017-04-18T00:21:12.059000",
  },
};

const ec2PendingEvent = {
  version: "0",
  id: "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "123456789012",
  time: "2015-11-11T21:29:54Z",
  region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
  detail: {
    "instance-id": "i-abcd1111",
    state: "pending",
  },
};

// The guide's counter-example for exists matching (it has no detail.state).
const noStateEvent = {
  "detail-type": ["EC2 Instance State-change Notification"],
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
  detail: {
    "c-count": {
      c1: 100,
    },
  },
};

const numericPattern = {
  detail: {
    "c-count": [{ numeric: [">", 0, "<=", 5] }],
    "d-count": [{ numeric: ["<", 10] }],
    "x-limit": [{ numeric: ["=", 3.018e2] }],
  },
};

const complexPattern = {
  time: [{ prefix: "2017-10-02" }],
  detail: {
    state: [{ "anything-but": "initializing" }],
    "c-count": [{ numeric: [">", 0, "<=", 5] }],
    "d-count": [{ numeric: ["<", 10] }],
    "x-limit": [{ "anything-but": [100, 200, 300] }],
  },
};

type Case = readonly [title: string, pattern: EventPattern, event: unknown, matches: boolean];

const eventPatternsPage: Case[] = [
  ["EC2 instance-termination pattern, the guide's EC2 event", ec2TerminationPattern, ec2TerminatedEvent, true],
  [
    "EC2 instance-termination pattern, (our event) state running",
    ec2TerminationPattern,
    { ...ec2TerminatedEvent, detail: { ...ec2TerminatedEvent.detail, state: "running" } },
    false,
  ],
  [
    "EC2 instance-termination pattern, (our event) without detail",
    ec2TerminationPattern,
    { ...ec2TerminatedEvent, detail: undefined },
    false,
  ],
  [
    "field matching: responseElements [null]",
    { source: ["aws.autoscaling"], "detail-type": ["EC2 Instance Launch Successful"], detail: { responseElements: [null] } },
    autoScalingEvent,
    true,
  ],
  ['empty string: eventVersion [""]', { detail: { eventVersion: [""] } }, autoScalingEvent, true],
  [
    "value matching: risk-score 80 and trigger risk 8",
    { source: ["aws.macie"], "detail-type": ["Macie Alert"], detail: { "risk-score": [80], trigger: { risk: [8] } } },
    macieAlertEvent,
    true,
  ],
  [
    "value matching: (our variation) trigger risk 9",
    { source: ["aws.macie"], "detail-type": ["Macie Alert"], detail: { "risk-score": [80], trigger: { risk: [9] } } },
    macieAlertEvent,
    false,
  ],
  ["match values: source aws.ec2 or aws.fargate", { source: ["aws.ec2", "aws.fargate"] }, ec2TerminatedEvent, true],
  ["match values: (our event) source aws.s3", { source: ["aws.ec2", "aws.fargate"] }, { source: "aws.s3" }, false],
  ["event array: tags intersect", { detail: { tags: ["Insider"] } }, macieAlertEvent, true],
];

const arraysPage: Case[] = [
  [
    "pattern array intersects the event's resources array",
    {
      resources: [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
      ],
    },
    {
      resources: [
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
      ],
    },
    true,
  ],
  [
    "(our event) no element in common",
    { resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"] },
    { resources: ["arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f"] },
    false,
  ],
];

const contentFilteringPage: Case[] = [
  ["prefix 2017-10-02", { time: [{ prefix: "2017-10-02" }] }, { time: "2017-10-02T18:43:48Z" }, true],
  ["prefix 2017-10-02, (our event) 2017-10-03", { time: [{ prefix: "2017-10-02" }] }, { time: "2017-10-03T18:43:48Z" }, false],
  [
    "prefix equals-ignore-case EventB",
    { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
    { detail: { service: "eventbridge" } },
    true,
  ],
  [
    "prefix equals-ignore-case EventB, (our event) Lambda",
    { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
    { detail: { service: "Lambda" } },
    false,
  ],
  ["suffix .png", { FileName: [{ suffix: ".png" }] }, { FileName: "image.png" }, true],
  ["suffix .png is case sensitive", { FileName: [{ suffix: ".png" }] }, { FileName: "image.PNG" }, false],
  [
    "suffix equals-ignore-case .png",
    { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } },
    { detail: { FileName: "image.PNG" } },
    true,
  ],
  [
    "anything-but initializing, state running",
    { detail: { state: [{ "anything-but": "initializing" }] } },
    { detail: { state: "running" } },
    true,
  ],
  [
    "anything-but initializing, state initializing",
    { detail: { state: [{ "anything-but": "initializing" }] } },
    { detail: { state: "initializing" } },
    false,
  ],
  ["anything-but initializing, state absent", { detail: { state: [{ "anything-but": "initializing" }] } }, { detail: {} }, false],
  ["anything-but 123, x-limit 124", { detail: { "x-limit": [{ "anything-but": 123 }] } }, { detail: { "x-limit": 124 } }, true],
  ["anything-but 123, x-limit 123", { detail: { "x-limit": [{ "anything-but": 123 }] } }, { detail: { "x-limit": 123 } }, false],
  [
    "anything-but [stopped, overloaded], running",
    { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
    { detail: { state: "running" } },
    true,
  ],
  [
    "anything-but [stopped, overloaded], overloaded",
    { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
    { detail: { state: "overloaded" } },
    false,
  ],
  [
    "anything-but [100, 200, 300], 150",
    { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
    { detail: { "x-limit": 150 } },
    true,
  ],
  [
    "anything-but [100, 200, 300], 200",
    { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
    { detail: { "x-limit": 200 } },
    false,
  ],
  [
    "anything-but prefix init, running",
    { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
    { detail: { state: "running" } },
    true,
  ],
  [
    "anything-but prefix init, initializing",
    { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
    { detail: { state: "initializing" } },
    false,
  ],
  ["numeric, all three fields in range", numericPattern, { detail: { "c-count": 5, "d-count": 9, "x-limit": 301.8 } }, true],
  ["numeric, c-count 0 is not > 0", numericPattern, { detail: { "c-count": 0, "d-count": 9, "x-limit": 301.8 } }, false],
  ["numeric, d-count 10 is not < 10", numericPattern, { detail: { "c-count": 1, "d-count": 10, "x-limit": 301.8 } }, false],
  ["numeric, a string is not a number", numericPattern, { detail: { "c-count": "3", "d-count": 9, "x-limit": 301.8 } }, false],
  [
    "cidr 10.0.0.0/24, 10.0.0.255",
    { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
    { detail: { sourceIPAddress: "10.0.0.255" } },
    true,
  ],
  [
    "cidr 10.0.0.0/24, 10.0.1.0",
    { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
    { detail: { sourceIPAddress: "10.0.1.0" } },
    false,
  ],
  [
    "cidr (our IPv6 range)",
    { detail: { sourceIPAddress: [{ cidr: "2001:db8::/32" }] } },
    { detail: { sourceIPAddress: "2001:db8:85a3::8a2e:370:7334" } },
    true,
  ],
  [
    "cidr (our IPv6 range), outside",
    { detail: { sourceIPAddress: [{ cidr: "2001:db8::/32" }] } },
    { detail: { sourceIPAddress: "2001:db9::1" } },
    false,
  ],
  ["exists true, the guide's matching event", { detail: { state: [{ exists: true }] } }, ec2PendingEvent, true],
  ["exists true, the guide's non-matching event", { detail: { state: [{ exists: true }] } }, noStateEvent, false],
  ["exists false, (our reading) the same two events", { detail: { state: [{ exists: false }] } }, noStateEvent, true],
  ["exists false on a present field", { detail: { state: [{ exists: false }] } }, ec2PendingEvent, false],
  ["exists only sees leaves: c-count is an intermediate node", { detail: { "c-count": [{ exists: true }] } }, noStateEvent, false],
  [
    "complex example, (our event) all hold",
    complexPattern,
    { time: "2017-10-02T01:02:03Z", detail: { state: "running", "c-count": 2, "d-count": 3, "x-limit": 150 } },
    true,
  ],
  [
    "complex example, (our event) x-limit 300",
    complexPattern,
    { time: "2017-10-02T01:02:03Z", detail: { state: "running", "c-count": 2, "d-count": 3, "x-limit": 300 } },
    false,
  ],
];

// Rule syntax column of the comparison-operator table, each with one event of ours that matches and one that does not.
const operatorsTable: [string, EventPattern, unknown, unknown][] = [
  ["And", { Location: ["New York"], Day: ["Monday"] }, { Location: "New York", Day: "Monday" }, { Location: "New York", Day: "Tuesday" }],
  ["Anything-but", { state: [{ "anything-but": "initializing" }] }, { state: "running" }, { state: "initializing" }],
  ["Anything-but (begins with)", { Region: [{ "anything-but": { prefix: "us-" } }] }, { Region: "eu-west-1" }, { Region: "us-east-1" }],
  ["Anything-but (ends with)", { FileName: [{ "anything-but": { suffix: ".png" } }] }, { FileName: "a.jpg" }, { FileName: "a.png" }],
  [
    "Anything-but (ignore case)",
    { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] },
    { state: "running" },
    { state: "INITIALIZING" },
  ],
  [
    "Anything-but using a wildcard",
    { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] },
    { FilePath: "/usr/bin/node" },
    { FilePath: "/usr/lib/node" },
  ],
  ["Begins with", { Region: [{ prefix: "us-" }] }, { Region: "us-east-1" }, { Region: "eu-west-1" }],
  [
    "Begins with (ignore case)",
    { service: [{ prefix: { "equals-ignore-case": "eventb" } }] },
    { service: "EVENTBRIDGE" },
    { service: "lambda" },
  ],
  ["Empty", { LastName: [""] }, { LastName: "" }, { LastName: "Doe" }],
  ["Equals", { Name: ["Alice"] }, { Name: "Alice" }, { Name: "alice" }],
  ["Equals (ignore case)", { Name: [{ "equals-ignore-case": "alice" }] }, { Name: "ALICE" }, { Name: "Alicia" }],
  ["Ends with", { FileName: [{ suffix: ".png" }] }, { FileName: "a.png" }, { FileName: "a.jpg" }],
  [
    "Ends with (ignore case)",
    { service: [{ suffix: { "equals-ignore-case": "tBridge" } }] },
    { service: "EVENTBRIDGE" },
    { service: "bridges" },
  ],
  ["Exists", { ProductName: [{ exists: true }] }, { ProductName: "x" }, { Other: "x" }],
  ["Does not exist", { ProductName: [{ exists: false }] }, { Other: "x" }, { ProductName: "x" }],
  ["Not", { Weather: [{ "anything-but": ["Raining"] }] }, { Weather: "Sunny" }, { Weather: "Raining" }],
  ["Null", { UserID: [null] }, { UserID: null }, { UserID: "u1" }],
  ["Numeric (equals)", { Price: [{ numeric: ["=", 100] }] }, { Price: 100 }, { Price: 101 }],
  ["Numeric (range)", { Price: [{ numeric: [">", 10, "<=", 20] }] }, { Price: 20 }, { Price: 10 }],
  ["Or", { PaymentType: ["Credit", "Debit"] }, { PaymentType: "Debit" }, { PaymentType: "Cash" }],
  [
    "Or (multiple fields)",
    { $or: [{ Location: ["New York"] }, { Day: ["Monday"] }] },
    { Location: "Boston", Day: "Monday" },
    { Location: "Boston", Day: "Sunday" },
  ],
  ["Wildcard", { FilePath: [{ wildcard: "dir/*.png" }] }, { FilePath: "dir/a/b.png" }, { FilePath: "other/b.png" }],
  [
    "$or (User Notifications)",
    { detail: { $or: [{ state: ["running"] }, { state: ["terminated"] }] } },
    ec2TerminatedEvent,
    ec2PendingEvent,
  ],
];

describe("matchEventPattern", () => {
  describe("Event patterns page", () => {
    it.each(eventPatternsPage)("%s", (_title, pattern, event, matches) => {
      expect(matchEventPattern(pattern, event)).toBe(matches);
    });
  });

  describe("Arrays page", () => {
    it.each(arraysPage)("%s", (_title, pattern, event, matches) => {
      expect(matchEventPattern(pattern, event)).toBe(matches);
    });
  });

  describe("Content filtering page", () => {
    it.each(contentFilteringPage)("%s", (_title, pattern, event, matches) => {
      expect(matchEventPattern(pattern, event)).toBe(matches);
    });
  });

  describe("Comparison operators table", () => {
    it.each(operatorsTable)("%s", (_title, pattern, matching, notMatching) => {
      expect([matchEventPattern(pattern, matching), matchEventPattern(pattern, notMatching)]).toEqual([true, false]);
    });
  });

  describe("wildcard escapes", () => {
    it.each([
      ["a\\*b", "a*b", true],
      ["a\\*b", "axxb", false],
      ["a\\\\*", "a\\anything", true],
      ["*Title*", "The Title Page", true],
      ["*.png", "a.png.jpg", false],
    ])("%s against %s", (wildcard, value, matches) => {
      expect(matchEventPattern({ f: [{ wildcard }] }, { f: value })).toBe(matches);
    });
  });

  // EventBridge's matcher (aws/event-ruler) flattens arrays of objects but keeps "array consistency": the fields a rule
  // matches must come from one element, not from peer elements (our events; the rule is Ruler's documented one).
  describe("arrays of objects: one element must match the whole nested rule", () => {
    const pattern = { detail: { items: { sku: ["B"], qty: [{ numeric: [">", 1] }] } } };
    it.each([
      [
        "one element matches both fields",
        [
          { sku: "A", qty: 5 },
          { sku: "B", qty: 2 },
        ],
        true,
      ],
      [
        "the fields match in different elements only",
        [
          { sku: "A", qty: 5 },
          { sku: "B", qty: 1 },
        ],
        false,
      ],
      ["no element matches", [{ sku: "A", qty: 5 }], false],
      ["an empty array", [], false],
      ["a single object (not an array) that matches", { sku: "B", qty: 2 }, true],
    ])("%s", (_name, items, matches) => {
      expect(matchEventPattern(pattern, { detail: { items } })).toBe(matches);
    });
  });

  describe("malformed patterns throw InvalidEventPatternError", () => {
    it.each([
      [{ detail: "x" }, 'event pattern field "detail": must be an array of values or an object'],
      [{ detail: {} }, 'event pattern field "detail": empty objects are not allowed'],
      [{ f: [] }, 'event pattern field "f": a value list must not be empty'],
      [{ f: [{ regex: "x" }] }, 'event pattern field "f": unknown operator "regex"'],
      [
        { f: [{ numeric: [">", 0, "<"] }] },
        'event pattern field "f": numeric takes one or two [operator, number] pairs, e.g. [">", 0, "<=", 5]',
      ],
      [{ f: [{ numeric: ["!=", 1] }] }, 'event pattern field "f": numeric: "!=" 1 is not an operator (=, <, <=, >, >=) and a number'],
      [
        { f: [{ "anything-but": ["a", 1] }] },
        'event pattern field "f": anything-but takes a string, a number, or a list of only strings or only numbers',
      ],
      [{ f: [{ exists: "yes" }] }, 'event pattern field "f": exists must be true or false'],
      [{ f: [{ cidr: "10.0.0.0/33" }] }, 'event pattern field "f": cidr "10.0.0.0/33" has an invalid prefix length'],
      [{ f: [{ wildcard: "a\\b" }] }, 'event pattern field "f": wildcard "a\\b": only \\* and \\\\ may be escaped'],
      [{ $or: [{ a: ["x"] }] }, 'event pattern field "$or": $or must be an array of at least two objects'],
      [
        { f: [{ prefix: "a", suffix: "b" }] },
        'event pattern field "f": a matcher object must have exactly one operator, got {"prefix":"a","suffix":"b"}',
      ],
    ])("%j", (pattern, message) => {
      const call = () => matchEventPattern(pattern as EventPattern, { f: "v", detail: { a: 1 } });
      expect(call).toThrow(InvalidEventPatternError);
      expect(call).toThrow(message);
    });
  });
});

describe("compileEventPattern", () => {
  it("rejects a malformed pattern before any event is seen", () => {
    expect(() => compileEventPattern({ detail: { n: [{ numeric: ["!=", 1] }] } })).toThrow(
      'event pattern field "detail.n": numeric: "!=" 1 is not an operator (=, <, <=, >, >=) and a number',
    );
    expect(() => compileEventPattern([] as unknown as EventPattern)).toThrow("event pattern root: a pattern must be a JSON object");
  });

  it("returns a reusable predicate", () => {
    const isTerminated = compileEventPattern(ec2TerminationPattern);
    expect([isTerminated(ec2TerminatedEvent), isTerminated(ec2PendingEvent), isTerminated(ec2TerminatedEvent)]).toEqual([
      true,
      false,
      true,
    ]);
  });
});

describe("eventPatternFor", () => {
  it("matches the event name as detail-type", () => {
    expect(eventPatternFor({ event: "my.event", schema: {} })).toEqual({ "detail-type": ["my.event"] });
  });

  it("adds source when the trigger sets one", () => {
    expect(eventPatternFor({ event: "my.event", source: "billing", schema: {} })).toEqual({
      "detail-type": ["my.event"],
      source: ["billing"],
    });
  });

  it("is the pattern the matcher applies", () => {
    const pattern = eventPatternFor({ event: "my.event", source: "billing", schema: {} });
    expect(matchEventPattern(pattern, { "detail-type": "my.event", source: "billing", detail: {} })).toBe(true);
    expect(matchEventPattern(pattern, { "detail-type": "my.event", source: "stepjobs", detail: {} })).toBe(false);
    expect(matchEventPattern(pattern, { "detail-type": "other.event", source: "billing", detail: {} })).toBe(false);
  });
});
