import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { type AslDefinition } from "../compiler/render-state-machine.ts";
import { allStates } from "./asl-walk.ts";

/**
 * The optimized DynamoDB integration in dev (`concurrencyLimit`'s states): the state's evaluated Parameters are the
 * API request, sent with the AWS SDK to dev's dynalite, and the API's answer is the state's result, as in the cloud
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html). An error is named as the integration
 * names it, `DynamoDB.<exception>` (upper-case DB), so the state's `Retry` and `Catch` match it as in AWS.
 */

const ACTIONS = {
  getItem: (client: DynamoDBClient, input: object) => client.send(new GetItemCommand(input as never)),
  updateItem: (client: DynamoDBClient, input: object) => client.send(new UpdateItemCommand(input as never)),
} as const;

type DynamoAction = keyof typeof ACTIONS;

/** The action of an optimized DynamoDB resource (`arn:aws:states:::dynamodb:updateItem`), if the state has one. */
function dynamoActionOf(resource: unknown): DynamoAction | undefined {
  const match = typeof resource === "string" ? /^arn:[\w-]+:states:::dynamodb:(\w+)$/.exec(resource) : null;
  const action = match?.[1];
  return action && action in ACTIONS ? (action as DynamoAction) : undefined;
}

/** The Task states of `definition` that call DynamoDB, with their action. */
export function dynamoStates(definition: AslDefinition): [string, DynamoAction][] {
  return allStates(definition).flatMap(([name, state]) => {
    const action = state.Type === "Task" ? dynamoActionOf(state.Resource) : undefined;
    return action ? [[name, action] as [string, DynamoAction]] : [];
  });
}

/** The table dev's DynamoDB states use: its client and name (the definition's `${TableName}`, bound here). */
export interface SlotTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** The library's task handler for one DynamoDB state, on `table`. */
export function dynamoHandler(table: SlotTable, action: DynamoAction): (parameters: unknown) => Promise<unknown> {
  return async (parameters) => {
    try {
      const request = { ...(parameters as object), TableName: table.tableName };
      const { $metadata: _metadata, ...output } = await ACTIONS[action](table.client, request);
      return output;
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      throw Object.assign(new Error((error as Error).message), {
        name: `DynamoDB.${typeof name === "string" ? name : "AmazonDynamoDBException"}`,
      });
    }
  };
}
