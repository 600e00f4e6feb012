import { randomUUID } from 'node:crypto';
import {
  AuthorizationV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { type AccessMapping, accessMappingKind } from '../../api/access-mapping.ts';
import { API_GROUP, API_VERSION, apiVersion } from '../../api/crd-builder.ts';
import { labels } from '../../api/labels.ts';
import { type ScimUser, scimUserKind } from '../../api/scim-user.ts';
import { makeApiClient } from '../../runtime/api-client.ts';
import { isNotFound } from '../../runtime/kube-errors.ts';
import type { Settings, SubjectRule } from '../../settings.ts';
import { userSubject } from '../shared/subject-name.ts';
import type { DrillPorts } from './run-drill.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * The drill's ports on a real cluster. The canary is a ScimUser written straight to the API (not through SCIM: no
 * identity provider knows it), labelled `scim-operator.dev/canary`, in a served connection; the mapping names it by
 * userName only, grants no app, and is labelled the same, so nothing else selects the canary or gives it an account.
 */
export function kubeDrillPorts(
  kc: KubeConfig,
  drill: Settings['drill'],
  rule: SubjectRule,
  connection: string,
): DrillPorts {
  const objects = makeApiClient(kc, CustomObjectsApi);
  const authorization = makeApiClient(kc, AuthorizationV1Api);
  const id = randomUUID();
  const name = `scim-drill-${id.slice(0, 8)}`;
  const canaryLabels = { [labels.canary]: 'true', [labels.connection]: connection };
  const user: ScimUser = {
    apiVersion,
    kind: 'ScimUser',
    metadata: { name: id, labels: canaryLabels },
    spec: { userName: `${name}@canary.invalid`, displayName: 'scim-operator deprovisioning drill', active: true },
  };
  const mapping: AccessMapping = {
    apiVersion,
    kind: 'AccessMapping',
    metadata: { name, labels: canaryLabels },
    spec: {
      connection,
      subjects: { users: [{ userName: user.spec.userName }] },
      roleBindings: [{ clusterRole: drill.clusterRole, namespaces: [drill.namespace] }],
    },
  };
  const ref = (plural: string, objectName: string) => ({
    group: API_GROUP,
    version: API_VERSION,
    plural,
    name: objectName,
  });
  return {
    async createCanary() {
      const subject = userSubject(user, rule);
      if (!subject.ok) throw new Error(`the canary has no subject: ${subject.message}`);
      await objects.createClusterCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: scimUserKind.plural,
        body: user,
      });
      await objects.createClusterCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: accessMappingKind.plural,
        body: mapping,
      });
      return subject.name;
    },
    async allowed(subject) {
      const review = await authorization.createSubjectAccessReview({
        body: {
          spec: { user: subject, resourceAttributes: { namespace: drill.namespace, verb: 'get', resource: 'pods' } },
        },
      });
      return review.status?.allowed === true;
    },
    async mappingFailure() {
      const live = (await objects.getClusterCustomObject(ref(accessMappingKind.plural, name))) as AccessMapping;
      const failure = live.status?.failures?.[0];
      return failure ? `${failure.reason}: ${failure.message}` : undefined;
    },
    async deactivate() {
      await objects.patchClusterCustomObject(
        { ...ref(scimUserKind.plural, id), body: { spec: { active: false } } },
        mergePatch,
      );
    },
    async cleanUp() {
      for (const [plural, objectName] of [
        [accessMappingKind.plural, name],
        [scimUserKind.plural, id],
      ] as const) {
        await objects.deleteClusterCustomObject(ref(plural, objectName)).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      }
    },
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
