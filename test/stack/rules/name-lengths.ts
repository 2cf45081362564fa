import { resourcesOf, where, type StaticRule } from "./types.ts";

/**
 * Physical names within their service's limits: state machines 80, Lambda functions 64, IAM roles 64, log groups
 * 512, rules 64, queues 80 characters. A name over the limit fails the deploy.
 */
const LIMITS: Readonly<Record<string, number>> = {
  "AWS::StepFunctions::StateMachine": 80,
  "AWS::Lambda::Function": 64,
  "AWS::IAM::Role": 64,
  "AWS::Logs::LogGroup": 512,
  "AWS::Events::Rule": 64,
  "AWS::SQS::Queue": 80,
};

/** The resource's name as its service knows it. */
function nameOf(type: string, physicalId: string, attributes: Record<string, unknown>): string {
  if (type === "AWS::StepFunctions::StateMachine") return String(attributes.Name);
  if (type === "AWS::Events::Rule") return physicalId.split("|").at(-1)!;
  if (type === "AWS::SQS::Queue") return String(attributes.QueueName);
  return physicalId;
}

export const nameLengths: StaticRule = (app) =>
  Object.entries(LIMITS).flatMap(([type, max]) =>
    resourcesOf(app, type).flatMap(({ stack, resource }) => {
      const name = nameOf(type, resource.physicalId, resource.attributes);
      return name.length > max ? [`${where(stack, resource)}: name "${name}" is ${name.length} characters, ${type} allows ${max}`] : [];
    }),
  );
