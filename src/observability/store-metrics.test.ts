import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerStoreMetrics } from './store-metrics.ts';

describe('registerStoreMetrics', () => {
  it('exports the store request count as it is at scrape time', async () => {
    const registry = new Registry();
    let count = 3;
    registerStoreMetrics(registry, { requestCount: () => count });
    expect(await registry.metrics()).toContain('scim_operator_store_api_requests_total 3');
    count = 10;
    expect(await registry.metrics()).toContain('scim_operator_store_api_requests_total 10');
  });
});
