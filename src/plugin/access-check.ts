import {
  AuthorizationV1Api,
  type KubeConfig,
  RbacAuthorizationV1Api,
  type V1PolicyRule,
} from '@kubernetes/client-node';

/** One request a role allows, asked of the API server as a SubjectAccessReview. */
export interface AccessCheck {
  verb: string;
  group: string;
  resource: string;
}

/**
 * A request the rules certainly allow, to ask the authorizer about: the first rule naming a concrete verb and
 * resource without resourceNames (a named-object rule would not allow the generic request). Wildcards stand in
 * for `get` and `pods` only when nothing concrete is listed.
 */
export function pickCheck(rules: readonly V1PolicyRule[]): AccessCheck | undefined {
  const usable = rules.filter((r) => (r.resources?.length ?? 0) > 0 && r.verbs.length > 0 && !r.resourceNames?.length);
  const concrete = usable.find(
    (r) => r.verbs.some((v) => v !== '*') && r.resources!.some((x) => x !== '*' && !x.includes('/')),
  );
  const rule = concrete ?? usable[0];
  if (!rule) return undefined;
  const verb = rule.verbs.find((v) => v !== '*') ?? 'get';
  const resource = rule.resources!.find((x) => x !== '*' && !x.includes('/')) ?? 'pods';
  const group = rule.apiGroups?.find((g) => g !== '*') ?? '';
  return { verb, group, resource };
}

export function describeCheck(check: AccessCheck, namespace: string | undefined): string {
  const resource = check.group ? `${check.resource}.${check.group}` : check.resource;
  return `${check.verb} ${resource}${namespace ? ` -n ${namespace}` : ' (cluster)'}`;
}

/** Asks the API server whether the subject may do what the role allows: what `kubectl auth can-i --as` asks. */
export class AccessChecker {
  private readonly rbac: RbacAuthorizationV1Api;
  private readonly authz: AuthorizationV1Api;
  private readonly roles = new Map<string, Promise<V1PolicyRule[] | undefined>>();

  constructor(kc: KubeConfig) {
    this.rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    this.authz = kc.makeApiClient(AuthorizationV1Api);
  }

  private rules(kind: string, role: string, namespace: string | undefined): Promise<V1PolicyRule[] | undefined> {
    const key = `${kind}/${namespace ?? ''}/${role}`;
    let found = this.roles.get(key);
    if (!found) {
      const read =
        kind === 'ClusterRole'
          ? this.rbac.readClusterRole({ name: role })
          : this.rbac.readNamespacedRole({ name: role, namespace: namespace ?? 'default' });
      found = read.then(
        (r) => r.rules ?? [],
        () => undefined,
      );
      this.roles.set(key, found);
    }
    return found;
  }

  /** `allowed`, `denied`, or why it could not be asked; with the request that was checked. */
  async check(
    subject: { user?: string; groups: string[] },
    roleKind: string,
    role: string,
    namespace: string | undefined,
  ): Promise<string> {
    const rules = await this.rules(roleKind, role, namespace);
    if (!rules) return `unknown (cannot read ${roleKind} ${role})`;
    const check = pickCheck(rules);
    if (!check) return `unknown (${roleKind} ${role} has no checkable rule)`;
    try {
      const review = await this.authz.createSubjectAccessReview({
        body: {
          spec: {
            user: subject.user,
            groups: subject.groups,
            resourceAttributes: { namespace, verb: check.verb, group: check.group, resource: check.resource },
          },
        },
      });
      return `${review.status?.allowed ? 'allowed' : 'DENIED'}: ${describeCheck(check, namespace)}`;
    } catch (err) {
      return `unknown (SubjectAccessReview failed: ${(err as { code?: number }).code ?? (err as Error).message})`;
    }
  }
}
