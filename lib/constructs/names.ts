import { createHash } from "node:crypto";

/**
 * Physical names of a stepjobs app's per-job resources, computed from the stack name and the job id, so that IAM
 * policies, the ingest function and the CLI can name every job's resources without a list of ARNs (a list of 150
 * ARNs would overflow Lambda's 4 KB environment and IAM's policy size). No CDK import: the CLI loads this module.
 * Limits: state machine names 1-80 characters of `A-Za-z0-9-_`
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html), Lambda function names
 * 1-64 characters of `A-Za-z0-9-_` (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html).
 */

/** The alias runs start on; its ARN is `<state machine ARN>:live`. */
export const LIVE_ALIAS = "live";

/** Longest state machine name Step Functions accepts. */
export const MAX_STATE_MACHINE_NAME = 80;

/** Longest Lambda function name. */
export const MAX_FUNCTION_NAME = 64;

/** Longest stack-name part of the prefix; a longer stack name is cut and hashed so job ids keep their room. */
const MAX_PREFIX_STACK = 32;

/** Characters a job id may have to be part of these names as it is. */
const NAME_CHARS = /^[A-Za-z0-9_-]+$/;

function hash(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * The prefix of every per-job resource name of a stack: `<stackName>_`. Stack names never contain `_`
 * (CloudFormation allows `[A-Za-z][-A-Za-z0-9]*`), so a wildcard `<prefix>*` in a policy matches this stack's
 * jobs only, never another stack's.
 */
export function jobNamePrefix(stackName: string): string {
  const base = stackName.length <= MAX_PREFIX_STACK ? stackName : `${stackName.slice(0, MAX_PREFIX_STACK - 9)}-${hash(stackName, 8)}`;
  return `${base}_`;
}

/** Why a job id cannot name its state machine under `prefix`, or undefined when it can. */
export function stateMachineNameProblem(prefix: string, jobId: string): string | undefined {
  if (!NAME_CHARS.test(jobId)) return `job id "${jobId}" names a state machine: use only letters, digits, "-" and "_"`;
  const room = MAX_STATE_MACHINE_NAME - prefix.length;
  if (jobId.length > room) {
    return `job id "${jobId}" is ${jobId.length} characters; with the stack's prefix "${prefix}" a state machine name leaves room for ${room}`;
  }
  return undefined;
}

/** The job's state machine name: `<prefix><jobId>` (check {@link stateMachineNameProblem} first). */
export function stateMachineName(prefix: string, jobId: string): string {
  return `${prefix}${jobId}`;
}

/** The job's runner function name: `<prefix><jobId>`, cut and suffixed with a hash when over 64 characters. */
export function runnerFunctionName(prefix: string, jobId: string): string {
  const name = `${prefix}${jobId}`;
  if (name.length <= MAX_FUNCTION_NAME) return name;
  return `${name.slice(0, MAX_FUNCTION_NAME - 9)}-${hash(jobId, 8)}`;
}
