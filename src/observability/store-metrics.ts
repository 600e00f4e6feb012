import { Counter, type Registry } from 'prom-client';

/**
 * `scim_operator_store_api_requests_total`: requests the SCIM endpoint's store sent to the API server (reads, writes
 * and its informers' lists), read from the store's own counter at scrape time. Beside the API server's
 * `apiserver_request_total`, it splits the API cost of a SCIM change between the endpoint and the controllers.
 */
export function registerStoreMetrics(registry: Registry, store: { requestCount(): number }): Counter {
  return new Counter({
    name: 'scim_operator_store_api_requests_total',
    help: 'Kubernetes API requests made by the SCIM endpoint (its store), including its informers’ list requests.',
    registers: [registry],
    collect() {
      // The store's count only grows; the counter mirrors it rather than being incremented on the hot path.
      this.reset();
      this.inc(store.requestCount());
    },
  });
}
