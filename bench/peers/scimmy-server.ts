/**
 * SCIMMY with scimmy-routers on express, over an in-memory store, the way SCIMMY's README shows: ingress/egress/degress
 * handlers, filters evaluated by SCIMMY's own `Filter.match` over every stored resource. Uniqueness of userName is
 * checked through a Map (kinder to the peer than a scan). Seeded in-process with SEED_USERS users and one empty group
 * (HTTP seeding would only measure the same handlers again, and take minutes at 100,000).
 *
 * Run: node bench/peers/scimmy-server.ts  (env SCIMMY_DIR: where ensureScimmy() installed the packages; PORT; TOKEN)
 */

import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PEER_GROUP_ID, PEER_GROUP_NAME, peerUser, peerUserId } from './peer-user.ts';

const dir = process.env.SCIMMY_DIR ?? '';
const require = createRequire(path.join(dir, 'package.json'));
// require.resolve finds the CommonJS builds; their module.exports may carry the export as `default`.
const load = async (name: string) => {
  const loaded = (await import(pathToFileURL(require.resolve(name)).href)).default;
  return loaded?.default ?? loaded;
};
// biome-ignore-start lint/suspicious/noExplicitAny: SCIMMY ships no TypeScript types
const SCIMMY: any = await load('scimmy');
const SCIMMYRouters: any = await load('scimmy-routers');
const express: any = await load('express');

type Stored = Record<string, any> & { id: string };
// biome-ignore-end lint/suspicious/noExplicitAny: SCIMMY ships no TypeScript types

function inMemory(kind: string, unique: string) {
  const byId = new Map<string, Stored>();
  const byUnique = new Map<string, string>();
  let next = 0;
  const put = (id: string, data: Record<string, unknown>) => {
    const old = byId.get(id);
    if (old) byUnique.delete(String(old[unique]).toLowerCase());
    const key = String(data[unique]).toLowerCase();
    const holder = byUnique.get(key);
    if (holder !== undefined && holder !== id) throw new SCIMMY.Types.Error(409, 'uniqueness', `${unique} is taken`);
    const now = new Date();
    const stored: Stored = {
      ...data,
      id,
      meta: { created: old?.meta?.created ?? now, lastModified: now },
    };
    byId.set(id, stored);
    byUnique.set(key, id);
    return stored;
  };
  return {
    put,
    handlers: {
      // biome-ignore lint/suspicious/noExplicitAny: SCIMMY's resource instance
      ingress: (resource: any, data: Record<string, unknown>) => {
        if (resource.id && !byId.has(resource.id))
          throw new SCIMMY.Types.Error(404, null, `${kind} ${resource.id} not found`);
        return put(resource.id ?? `${kind.toLowerCase()}-${Date.now()}-${next++}`, { ...data });
      },
      // biome-ignore lint/suspicious/noExplicitAny: SCIMMY's resource instance
      egress: (resource: any) => {
        if (resource.id) {
          const found = byId.get(resource.id);
          if (!found) throw new SCIMMY.Types.Error(404, null, `${kind} ${resource.id} not found`);
          return found;
        }
        const all = [...byId.values()];
        return resource.filter ? resource.filter.match(all) : all;
      },
      // biome-ignore lint/suspicious/noExplicitAny: SCIMMY's resource instance
      degress: (resource: any) => {
        const found = byId.get(resource.id);
        if (!found) throw new SCIMMY.Types.Error(404, null, `${kind} ${resource.id} not found`);
        byId.delete(resource.id);
        byUnique.delete(String(found[unique]).toLowerCase());
      },
    },
  };
}

const users = inMemory('User', 'userName');
const groups = inMemory('Group', 'displayName');
SCIMMY.Resources.declare(SCIMMY.Resources.User, users.handlers);
SCIMMY.Resources.declare(SCIMMY.Resources.Group, groups.handlers);

const seed = Number(process.env.SEED_USERS ?? 0);
for (let i = 0; i < seed; i++) users.put(peerUserId(i), peerUser(i));
groups.put(PEER_GROUP_ID, { displayName: PEER_GROUP_NAME, members: [] });

const token = process.env.TOKEN ?? '';
const app = express();
app.use(
  '/scim',
  new SCIMMYRouters({
    type: 'bearer',
    handler: (request: { header(name: string): string | undefined }) => {
      if (request.header('Authorization') !== `Bearer ${token}`) throw new Error('Authorization not detected!');
      return 'bench';
    },
  }),
);
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
