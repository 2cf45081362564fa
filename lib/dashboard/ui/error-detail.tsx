import type { JSX } from "preact";
import type { ErrorInfo } from "../view/api-types.ts";

/**
 * A task's (or a run's) error as the run page shows it: name and message on one line, the error's own fields
 * (`code`, `orderId`, ...) as JSON, and the user's stack frames below, as recorded (source-mapped, bounded).
 */
export function ErrorDetail(props: { readonly error: ErrorInfo }): JSX.Element {
  const { name, message, fields, stack } = props.error;
  return (
    <>
      <span class="error-name">{name}</span>
      <span class="error-message">{message}</span>
      {fields && Object.keys(fields).length > 0 && (
        <code class="error-fields" data-testid="error-fields">
          {JSON.stringify(fields)}
        </code>
      )}
      {stack && (
        <pre class="error-stack" data-testid="error-stack">
          {stack}
        </pre>
      )}
    </>
  );
}
