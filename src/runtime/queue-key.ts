/**
 * Typed work-queue keys. The queue de-duplicates strings; a controller works with a small tagged type instead, so
 * `User/<id>` cannot mean one thing to one controller and another to the next, nor be mistaken for
 * `namespace/name`. A codec turns the type into the queue's string and back.
 */
export interface KeyCodec<K> {
  format(key: K): string;
  parse(text: string): K;
}

/** Keys that are already plain strings (`namespace/name`, or `name`). */
export const stringKeys: KeyCodec<string> = { format: (key) => key, parse: (text) => text };

/** A key naming one object of one kind: `{ kind: 'DownstreamApp', name: 'crm' }` queues as `DownstreamApp:crm`. */
export interface TaggedKey<Kind extends string = string> {
  readonly kind: Kind;
  readonly name: string;
}

/**
 * The codec of tagged keys of the given kinds: the kind is everything before the first `:` (kinds hold none), the
 * name the rest. An unknown kind is a bug, not input: it throws.
 */
export function taggedKeys<Kind extends string>(kinds: readonly Kind[]): KeyCodec<TaggedKey<Kind>> {
  const known = new Set<string>(kinds);
  const isKind = (text: string): text is Kind => known.has(text);
  return {
    format: (key) => `${key.kind}:${key.name}`,
    parse: (text) => {
      const at = text.indexOf(':');
      const kind = text.slice(0, at);
      if (at < 0 || !isKind(kind)) throw new Error(`not a queue key of ${kinds.join('/')}: ${text}`);
      return { kind, name: text.slice(at + 1) };
    },
  };
}
