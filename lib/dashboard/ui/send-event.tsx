import { type ComponentChildren, createContext, type JSX } from "preact";
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { SendEventResult, ValidationIssue } from "../view/api-types.ts";
import { parseJsonText } from "../view/parse-json.ts";
import { samplePayloadText } from "../view/sample-payload.ts";
import { listenersOf, validatePayload } from "../view/validate-payload.ts";
import { ApiError, sendEvent } from "./api.ts";
import { useCatalog } from "./catalog.tsx";
import { Icon } from "./components.tsx";
import { Link } from "./router.tsx";

/**
 * The Send Event dialog (tutorial step 2): event name with the names jobs listen to, a JSON payload
 * pre-filled from the listening job's schema, JSON-syntax and schema errors shown while typing and
 * enforced before anything is sent, then links to the runs the event started.
 */

/** Opens the dialog, optionally for an event name (a job page passes its trigger) and payload (a run's, to send again). */
export type OpenSendEvent = (options?: { readonly name?: string; readonly payload?: unknown }) => void;

const SendEventContext = createContext<OpenSendEvent>(() => {});

/** The function that opens the Send Event dialog. */
export function useSendEvent(): OpenSendEvent {
  return useContext(SendEventContext);
}

/** The "Send Event" button (top right of every page, and on a job's page). */
export function SendEventButton(props: { readonly name?: string; readonly payload?: unknown; readonly label?: string }): JSX.Element {
  const open = useSendEvent();
  return (
    <button
      type="button"
      class="button button-primary"
      onClick={() => open({ name: props.name, payload: props.payload })}
      data-testid="open-send-event"
    >
      <Icon name="send" />
      {props.label ?? "Send Event"}
    </button>
  );
}

/** Provides {@link useSendEvent} and renders the dialog once for the whole app. */
export function SendEventProvider(props: { readonly children: ComponentChildren }): JSX.Element {
  const [request, setRequest] = useState<{ name: string; payload: string | undefined; serial: number } | undefined>(undefined);
  const { reload } = useCatalog();
  const open = useCallback<OpenSendEvent>(
    (options) => {
      reload();
      const payload = options?.payload === undefined ? undefined : JSON.stringify(options.payload, null, 2);
      setRequest((r) => ({ name: options?.name ?? "", payload, serial: (r?.serial ?? 0) + 1 }));
    },
    [reload],
  );
  return (
    <SendEventContext.Provider value={open}>
      {props.children}
      {request && (
        <SendEventDialog
          key={request.serial}
          initialName={request.name}
          initialPayload={request.payload}
          onClose={() => setRequest(undefined)}
        />
      )}
    </SendEventContext.Provider>
  );
}

type Outcome =
  | { readonly kind: "sent"; readonly result: SendEventResult; readonly name: string }
  | { readonly kind: "failed"; readonly message: string; readonly issues: readonly ValidationIssue[] };

function SendEventDialog(props: {
  readonly initialName: string;
  readonly initialPayload: string | undefined;
  readonly onClose: () => void;
}): JSX.Element {
  const { jobs, loaded } = useCatalog();
  const dialog = useRef<HTMLDialogElement>(null);
  const payloadRef = useRef<HTMLTextAreaElement>(null);
  const eventNames = useMemo(() => [...new Set(jobs.map((j) => j.trigger.event))].sort(), [jobs]);
  const [name, setName] = useState(props.initialName || (eventNames.length === 1 ? (eventNames[0] ?? "") : ""));
  const listeners = useMemo(() => jobs.filter((j) => j.trigger.event === name.trim()), [jobs, name]);
  const sample = useMemo(() => samplePayloadText(listeners[0]?.trigger.schema), [listeners]);
  const [payload, setPayload] = useState<string | undefined>(props.initialPayload);
  const [eventId, setEventId] = useState("");
  const [attempted, setAttempted] = useState(false);
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const text = payload ?? sample;

  const parsed = useMemo(() => parseJsonText(text), [text]);
  const issues = useMemo(
    () => (parsed.ok ? validatePayload(listenersOf(listeners, name.trim(), parsed.value), parsed.value) : []),
    [parsed, listeners, name],
  );
  const nameMissing = name.trim() === "";
  const blocked = !loaded || nameMissing || !parsed.ok || issues.length > 0;

  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal();
  }, []);
  useEffect(() => {
    const [only] = eventNames;
    if (!props.initialName && eventNames.length === 1 && only !== undefined && name === "") setName(only);
  }, [eventNames]);

  const close = (): void => {
    dialog.current?.close();
  };
  const submit = async (e?: Event): Promise<void> => {
    e?.preventDefault();
    setAttempted(true);
    if (blocked || sending || !parsed.ok) {
      payloadRef.current?.focus();
      return;
    }
    setSending(true);
    try {
      const result = await sendEvent({ name: name.trim(), payload: parsed.value, ...(eventId.trim() ? { id: eventId.trim() } : {}) });
      setOutcome({ kind: "sent", result, name: name.trim() });
    } catch (error) {
      setOutcome({
        kind: "failed",
        message: error instanceof Error ? error.message : String(error),
        issues: error instanceof ApiError ? error.issues : [],
      });
    } finally {
      setSending(false);
    }
  };
  const showProblems = attempted || payload !== undefined;

  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="send-event-title" onClose={props.onClose} data-testid="send-event-dialog">
      <form class="dialog-form" onSubmit={(e) => void submit(e)} noValidate>
        <header class="dialog-header">
          <h2 id="send-event-title">Send Event</h2>
          <button type="button" class="icon-button" onClick={close} aria-label="Close">
            <Icon name="close" />
          </button>
        </header>

        {outcome?.kind === "sent" ? (
          <SentPanel
            outcome={outcome}
            jobName={(id) => jobs.find((j) => j.id === id)?.name ?? id}
            onDone={close}
            onAgain={() => setOutcome(undefined)}
          />
        ) : (
          <>
            <div class="dialog-body">
              <label class="field">
                <span class="field-label">Event name</span>
                <input
                  class="input mono"
                  name="name"
                  list="event-name-suggestions"
                  value={name}
                  onInput={(e) => setName(e.currentTarget.value)}
                  placeholder="my.event"
                  autoFocus={name === ""}
                  autoComplete="off"
                  spellcheck={false}
                  required
                  aria-invalid={attempted && nameMissing}
                />
                <datalist id="event-name-suggestions">
                  {eventNames.map((n) => (
                    <option key={n} value={n} />
                  ))}
                </datalist>
                <span class="field-hint" data-testid="event-listeners">
                  {!loaded
                    ? "Loading jobs…"
                    : nameMissing
                      ? attempted
                        ? "An event needs a name."
                        : `Jobs listen to: ${eventNames.join(", ") || "no events yet"}`
                      : listeners.length > 0
                        ? `Starts ${listeners.map((j) => j.name).join(", ")}`
                        : "No job listens to this event: it will be recorded and start no runs."}
                </span>
              </label>

              <label class="field">
                <span class="field-label">
                  Payload <span class="muted">(JSON)</span>
                </span>
                <textarea
                  ref={payloadRef}
                  class="input textarea mono"
                  name="payload"
                  rows={9}
                  autoFocus={name !== ""}
                  value={text}
                  spellcheck={false}
                  onInput={(e) => setPayload(e.currentTarget.value)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void submit();
                  }}
                  aria-invalid={showProblems && (!parsed.ok || issues.length > 0)}
                  aria-describedby="payload-problems"
                />
              </label>
              <div id="payload-problems" class="problems" aria-live="polite" data-testid="payload-problems">
                {showProblems && !parsed.ok && (
                  <p class="problem">
                    <span class="problem-where">
                      line {parsed.line}, column {parsed.column}
                    </span>
                    <span>{parsed.message}</span>
                  </p>
                )}
                {showProblems &&
                  issues.map((issue) => (
                    <p class="problem" key={`${issue.jobId}${issue.path}${issue.message}`} data-testid="schema-issue">
                      <code class="problem-where">{issue.path || "/"}</code>
                      <span>{issue.message}</span>
                      {listeners.length > 1 && <span class="muted"> · {issue.jobId}</span>}
                    </p>
                  ))}
              </div>

              <details class="advanced">
                <summary>Event id (optional)</summary>
                <label class="field">
                  <span class="field-hint">Sending the same id again starts no new run.</span>
                  <input
                    class="input mono"
                    name="id"
                    value={eventId}
                    onInput={(e) => setEventId(e.currentTarget.value)}
                    placeholder="generated when empty"
                    autoComplete="off"
                    spellcheck={false}
                  />
                </label>
              </details>

              {outcome?.kind === "failed" && (
                <div class="problems" role="alert">
                  <p class="problem">
                    <span>{outcome.message}</span>
                  </p>
                  {outcome.issues.map((issue) => (
                    <p class="problem" key={`${issue.jobId}${issue.path}`}>
                      <code class="problem-where">{issue.path || "/"}</code>
                      <span>{issue.message}</span>
                      <span class="muted"> · {issue.jobId}</span>
                    </p>
                  ))}
                </div>
              )}
            </div>
            <footer class="dialog-footer">
              <span class="muted small">Ctrl+Enter to send</span>
              <button type="button" class="button" onClick={close}>
                Cancel
              </button>
              <button type="submit" class="button button-primary" disabled={sending} data-testid="send-event-submit">
                {sending ? "Sending…" : "Send Event"}
              </button>
            </footer>
          </>
        )}
      </form>
    </dialog>
  );
}

function SentPanel(props: {
  readonly outcome: Extract<Outcome, { kind: "sent" }>;
  readonly jobName: (id: string) => string;
  readonly onDone: () => void;
  readonly onAgain: () => void;
}): JSX.Element {
  const { result, name } = props.outcome;
  return (
    <>
      <div class="dialog-body" data-testid="send-event-result">
        <p class="sent-title">
          <Icon name="check" /> Event <code>{name}</code> sent
        </p>
        <p class="muted small mono">{result.id}</p>
        {result.runs.length === 0 ? (
          <p class="muted">No job listens to this event, so no run started.</p>
        ) : (
          <ul class="sent-runs">
            {result.runs.map((run) => (
              <li key={run.id}>
                <Link href={`/runs/${encodeURIComponent(run.id)}`} class="sent-run" onClick={props.onDone} data-testid="started-run-link">
                  <span>
                    <span class="sent-run-job">{props.jobName(run.jobId)}</span>
                    <span class="mono muted small">{run.id}</span>
                  </span>
                  <span class="sent-run-go">
                    View run <Icon name="arrow" />
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </div>
      <footer class="dialog-footer">
        <button type="button" class="button" onClick={props.onAgain}>
          Send another
        </button>
        <button type="button" class="button button-primary" onClick={props.onDone}>
          Done
        </button>
      </footer>
    </>
  );
}
