import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { makeApiClient } from '../../runtime/api-client.ts';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
}

/**
 * Records Kubernetes Events (core/v1) without blocking reconciles: events are queued and sent in the background,
 * at most `maxPending` at a time; beyond that they are dropped and counted, because an audit trail that stalls
 * access changes would be worse than one with a gap (the structured log line is written regardless).
 * Events go to the operator's own namespace (`namespace`), never `default`: they name users and their access, and
 * whoever may read events in `default` should not learn that. involvedObject still names the ScimUser (kind, name,
 * uid); its `namespace` is set to the operator's because the API server accepts an Event about an object without
 * a namespace only in `default`. So `kubectl describe scimuser` does not list them; `kubectl get events -n
 * <operator namespace> --field-selector involvedObject.name=<id>` does.
 */
export class EventRecorder {
  private readonly api: CoreV1Api;
  private readonly component: string;
  private readonly maxPending: number;
  private readonly onDrop: () => void;
  private readonly onSend: () => void;
  private readonly namespace: string;
  private pending = 0;

  constructor(
    kc: KubeConfig,
    options: { namespace: string; component?: string; maxPending?: number; onDrop?: () => void; onSend?: () => void },
  ) {
    this.api = makeApiClient(kc, CoreV1Api);
    this.namespace = options.namespace;
    this.component = options.component ?? 'scim-operator';
    this.maxPending = options.maxPending ?? 500;
    this.onDrop = options.onDrop ?? (() => {});
    this.onSend = options.onSend ?? (() => {});
  }

  record(object: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.pending >= this.maxPending) {
      this.onDrop();
      return;
    }
    this.pending++;
    const now = new Date();
    const namespace = this.namespace;
    this.onSend();
    this.api
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${object.name.slice(0, 200)}.`, namespace },
          involvedObject: {
            apiVersion: object.apiVersion,
            kind: object.kind,
            name: object.name,
            uid: object.uid,
            namespace,
          },
          reason,
          message: message.slice(0, 1024),
          type,
          source: { component: this.component },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch(() => this.onDrop())
      .finally(() => {
        this.pending--;
      });
  }
}
