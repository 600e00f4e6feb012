import { scimStoreContract } from '../../test/contract/scim-store.contract.ts';
import { createMemoryStore } from './memory-store.ts';

scimStoreContract('memory store', async () => {
  const store = createMemoryStore();
  return {
    a: store,
    b: store,
    cleanup: async () => {},
    simulateOutage: async () => {
      store.simulateOutage(true);
      return async () => store.simulateOutage(false);
    },
  };
});
