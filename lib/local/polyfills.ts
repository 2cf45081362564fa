/**
 * Polyfills the dev runtime needs on Node 20. aws-local-stepfunctions 3.0.0 declares node>=22 and calls
 * `Promise.withResolvers` (ES2024, Node 22) inside every Task state; Node 20 lacks it. This module must be
 * imported before that library: ESM evaluates imports in order, so `job-machine.ts` imports it first.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const promiseConstructor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof promiseConstructor.withResolvers !== "function") {
  // Same contract as the spec's Promise.withResolvers (https://tc39.es/ecma262/#sec-promise.withResolvers).
  promiseConstructor.withResolvers = function withResolvers<T>(): Resolvers<T> {
    let resolve!: Resolvers<T>["resolve"];
    let reject!: Resolvers<T>["reject"];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};
