/**
 * stepjobs/cdk: the constructs that deploy every job as a Step Functions state machine behind EventBridge.
 */
export { StepJob, type StepJobProps } from "./step-job.ts";
export { StepJobs, type StepJobsProps } from "./step-jobs.ts";
