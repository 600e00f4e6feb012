import type { ScimStore } from './store.ts';

export interface StoreCall {
  method: keyof ScimStore;
  args: unknown[];
}

/** A ScimStore that records every call it passes on to `inner`, so tests can assert what a request cost. */
export interface CountingStore extends ScimStore {
  readonly calls: StoreCall[];
  /** How many calls of `method` (or of any method) were made. */
  count(method?: keyof ScimStore): number;
  reset(): void;
}

export function countingStore(inner: ScimStore): CountingStore {
  const calls: StoreCall[] = [];
  const extra = {
    calls,
    count: (method?: keyof ScimStore) => calls.filter((call) => method === undefined || call.method === method).length,
    reset: () => {
      calls.length = 0;
    },
  };
  return new Proxy(inner, {
    get(target, key) {
      if (Object.hasOwn(extra, key)) return extra[key as keyof typeof extra];
      const original = Reflect.get(target, key) as unknown;
      if (typeof original !== 'function') return original;
      return (...args: unknown[]) => {
        calls.push({ method: key as keyof ScimStore, args });
        return original.apply(target, args);
      };
    },
  }) as CountingStore;
}
