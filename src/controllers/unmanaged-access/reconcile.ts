import {
  type KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  type RbacV1Subject,
  setHeaderOptions,
  type V1ClusterRoleBinding,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import type { ScimUser } from '../../api/scim-user.ts';
import { makeApiClient } from '../../runtime/api-client.ts';
import type { CachedInformer } from '../../runtime/informer.ts';
import { apiStatusCode, isNotFound } from '../../runtime/kube-errors.ts';
import type { ReconcileContext } from '../../runtime/reconciler.ts';
import type { SubjectRule } from '../../settings.ts';
import type { EventRecorder } from '../shared/event-recorder.ts';
import type { IdentityCache } from '../shared/identity-cache.ts';
import { userSubject } from '../shared/subject-name.ts';
import {
  bindingLabel,
  findUnmanaged,
  type UnmanagedBinding,
  type UnmanagedFinding,
  type UnmanagedReason,
  unmanagedCondition,
} from './find-unmanaged.ts';
import type { UnmanagedKey } from './keys.ts';
import type { UnmanagedIndex } from './unmanaged-index.ts';

const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export interface UnmanagedAccessDeps {
  kc: KubeConfig;
  identities: IdentityCache;
  serves: (user: ScimUser) => boolean;
  rule: SubjectRule;
  index: UnmanagedIndex;
  roleBindings: CachedInformer<V1RoleBinding>;
  clusterRoleBindings: CachedInformer<V1ClusterRoleBinding>;
  events: EventRecorder;
  /** Settings unmanagedAccess.removeSubjects: remove the subject from the bindings instead of only reporting. */
  removeSubjects: boolean;
  /** Namespaces whose bindings are never edited (the protected ones and the operator's own). */
  protectedNamespaces: ReadonlySet<string>;
  onWrite?: (verb: string, target: string) => void;
}

/**
 * Finds bindings the operator did not generate that still name a user who may hold no access, per user. Reports
 * each finding once per change (a Warning Event on the user; the condition is written by identity-status through
 * `findingOf`), keeps the findings for the `scim_operator_unmanaged_grants` gauge, and, only when
 * `removeSubjects` is on, removes the subject from each binding it may edit. Reports cost no API write; at steady
 * state nothing changes, so nothing is sent.
 */
export class UnmanagedAccessReconciler {
  private readonly deps: UnmanagedAccessDeps;
  private readonly rbac: RbacAuthorizationV1Api;
  private readonly findings = new Map<string, UnmanagedFinding>();

  constructor(deps: UnmanagedAccessDeps) {
    this.deps = deps;
    this.rbac = makeApiClient(deps.kc, RbacAuthorizationV1Api);
  }

  /** The finding for a user now, computed from the caches (the same answer reconcile acts on). */
  findingOf(user: ScimUser): UnmanagedFinding | undefined {
    const subject = userSubject(user, this.deps.rule);
    return subject.ok ? findUnmanaged(user, this.deps.index.bindingsOf(subject.name)) : undefined;
  }

  /** Bindings per reason across every current finding, for the gauge. */
  counts(): Record<UnmanagedReason, number> {
    const out: Record<UnmanagedReason, number> = { Inactive: 0, Suspended: 0, Deleted: 0 };
    for (const f of this.findings.values()) out[f.reason] += f.bindings.length;
    return out;
  }

  reconcile = async (key: UnmanagedKey, context: ReconcileContext): Promise<void> => {
    const id = key.name;
    const user = this.deps.identities.user(id);
    const finding = user && this.deps.serves(user) ? this.findingOf(user) : undefined;
    const previous = this.findings.get(id);
    if (!finding || !user) {
      this.findings.delete(id);
      return;
    }
    this.findings.set(id, finding);
    if (JSON.stringify(previous) !== JSON.stringify(finding)) {
      const condition = unmanagedCondition(finding, false)!;
      context.logger.warn(
        { user: user.spec.userName, reason: finding.reason, bindings: finding.bindings.map(bindingLabel) },
        'unmanaged access names a user who may hold none',
      );
      this.deps.events.record(
        { apiVersion: user.apiVersion, kind: user.kind, name: id, uid: user.metadata.uid },
        'Warning',
        'UnmanagedAccess',
        condition.message,
      );
    }
    if (!this.deps.removeSubjects) return;
    const subject = userSubject(user, this.deps.rule);
    if (!subject.ok) return;
    let retry = false;
    for (const binding of finding.bindings) {
      if (binding.namespace && this.deps.protectedNamespaces.has(binding.namespace)) continue;
      retry = (await this.removeSubject(binding, subject.name, user, finding.reason, context)) || retry;
    }
    if (retry) throw new Error(`some unmanaged bindings naming ${user.spec.userName} could not be edited; retrying`);
  };

  /** Removes the User subject from one binding, guarded by its resourceVersion; true when worth retrying. */
  private async removeSubject(
    ref: UnmanagedBinding,
    subject: string,
    user: ScimUser,
    reason: UnmanagedReason,
    context: ReconcileContext,
  ): Promise<boolean> {
    const binding = ref.namespace
      ? this.deps.roleBindings.get(ref.name, ref.namespace)
      : this.deps.clusterRoleBindings.get(ref.name);
    if (!binding) return false;
    const remaining = (binding.subjects ?? []).filter((s: RbacV1Subject) => !(s.kind === 'User' && s.name === subject));
    const body = [
      { op: 'test', path: '/metadata/resourceVersion', value: binding.metadata?.resourceVersion },
      { op: 'replace', path: '/subjects', value: remaining },
    ];
    this.deps.onWrite?.('patch', `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`);
    try {
      if (ref.namespace)
        await this.rbac.patchNamespacedRoleBinding({ name: ref.name, namespace: ref.namespace, body }, jsonPatch);
      else await this.rbac.patchClusterRoleBinding({ name: ref.name, body }, jsonPatch);
    } catch (err) {
      if (isNotFound(err)) return false;
      const code = apiStatusCode(err);
      // 403/422: an admission policy or RBAC refuses the edit; the binding is not the operator's to edit. Reported only.
      if (code === 403 || code === 422) {
        context.logger.warn({ binding: bindingLabel(ref), code, err: String(err) }, 'unmanaged binding not editable');
        return false;
      }
      return true;
    }
    context.logger.info(
      {
        audit: true,
        action: 'removed-unmanaged',
        user: user.spec.userName,
        subject,
        reason,
        role: `${binding.roleRef.kind}/${binding.roleRef.name}`,
        namespace: ref.namespace ?? null,
        binding: ref.name,
      },
      'unmanaged access removed',
    );
    return false;
  }
}
