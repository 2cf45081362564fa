import { resourcesOf, where, type StaticRule } from "./types.ts";

/** SQS: a queue policy holds at most 20 statements and 8,192 bytes. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html */
export const sqsPolicySize: StaticRule = (app) =>
  resourcesOf(app, "AWS::SQS::QueuePolicy").flatMap(({ stack, resource }) => {
    const doc = resource.properties.PolicyDocument as { Statement: unknown[] };
    const bytes = Buffer.byteLength(JSON.stringify(doc));
    return [
      ...(doc.Statement.length > 20 ? [`${where(stack, resource)}: ${doc.Statement.length} statements, SQS allows 20`] : []),
      ...(bytes > 8192 ? [`${where(stack, resource)}: ${bytes} bytes, SQS allows 8,192`] : []),
    ];
  });
