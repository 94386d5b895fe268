import { AsyncLocalStorage } from 'node:async_hooks';
import { type Client, type ConnectionLike, WorkflowClient } from '@temporalio/client';
import type { Workflow, WorkflowSignalWithStartOptions, WithWorkflowArgs } from '@temporalio/client';

/**
 * Signal-with-start through the SDK's typed workflow client (so payload codecs and client
 * interceptors apply, and workflow and signal types are checked at compile time) that also
 * says whether the call started a new run.
 *
 * Temporal answers SignalWithStartWorkflowExecution with `started`, but the SDK's
 * `signalWithStart` (1.24) returns only a handle with the signalled run's ID; comparing run IDs
 * cannot tell a new run from one started by another API process or continued as new. So this
 * client's connection is a view of the shared one whose `signalWithStartWorkflowExecution`
 * hands the answer's `started` to the caller that made the call (AsyncLocalStorage); the
 * request itself is built, encoded and sent by the SDK as usual.
 */
export class SignalWithStartClient {
  private readonly answers = new AsyncLocalStorage<{ started?: boolean }>();
  private readonly workflow: WorkflowClient;

  constructor(client: Client) {
    const connection = client.connection;
    const answers = this.answers;
    const shared = connection.workflowService;
    const workflowService: typeof shared = Object.create(shared, {
      signalWithStartWorkflowExecution: {
        value: async (request: Parameters<typeof shared.signalWithStartWorkflowExecution>[0]) => {
          const response = await shared.signalWithStartWorkflowExecution(request);
          const answer = answers.getStore();
          if (answer !== undefined) answer.started = response.started === true;
          return response;
        },
      },
    }) as typeof shared;
    const view: ConnectionLike = {
      workflowService,
      operatorService: connection.operatorService,
      plugins: connection.plugins,
      close: () => connection.close(),
      ensureConnected: () => connection.ensureConnected(),
      withDeadline: (deadline, fn) => connection.withDeadline(deadline, fn),
      withMetadata: (metadata, fn) => connection.withMetadata(metadata, fn),
      withAbortSignal: (signal, fn) => connection.withAbortSignal(signal, fn),
    };
    // The same namespace, identity, data converter (codecs) and interceptors as `client`.
    this.workflow = new WorkflowClient({
      connection: view,
      namespace: client.options.namespace,
      identity: client.options.identity,
      dataConverter: client.options.loadedDataConverter,
      interceptors: client.workflow.options.interceptors,
    });
  }

  /** `client.workflow.signalWithStart`, plus whether Temporal started a new run for it. */
  async signalWithStart<W extends Workflow, SA extends unknown[]>(
    workflowTypeOrFunc: string | W,
    options: WithWorkflowArgs<W, WorkflowSignalWithStartOptions<SA>>,
  ): Promise<{ runId: string; started: boolean }> {
    const answer: { started?: boolean } = {};
    const handle = await this.answers.run(answer, () =>
      this.workflow.signalWithStart<W, SA>(workflowTypeOrFunc, options),
    );
    if (answer.started === undefined) throw new Error('Temporal answered signal-with-start without a response');
    return { runId: handle.signaledRunId, started: answer.started };
  }
}
