import { z } from 'zod';

/**
 * Value shapes the chart passes through to Kubernetes objects. Kubernetes validates their fields when the object
 * is applied, so these check only the outline: a list where Kubernetes wants a list, an object where it wants one.
 */
export const labelMap = z.record(z.string(), z.string());
export const k8sObject = z.record(z.string(), z.unknown());
export const k8sObjects = z.array(k8sObject);
export const pullSecrets = z.array(z.object({ name: z.string().min(1) }).strict());

export const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a lowercase DNS name');
export const optionalK8sName = z.union([z.literal(''), k8sName]);

export const quantity = z.union([
  z.string().regex(/^[0-9.]+[a-zA-Z]*$/, 'a Kubernetes quantity such as 100m or 128Mi'),
  z.number(),
]);

/** Timings of a probe; the chart supplies the handler (an HTTP GET on the metrics port). */
export function probeTimings(options: { enabled?: boolean } = {}) {
  const seconds = z.int().min(0).max(3600).optional();
  return z
    .object({
      ...(options.enabled ? { enabled: z.boolean().optional() } : {}),
      initialDelaySeconds: seconds,
      periodSeconds: z.int().min(1).max(3600).optional(),
      timeoutSeconds: z.int().min(1).max(3600).optional(),
      failureThreshold: z.int().min(1).max(1000).optional(),
      successThreshold: z.int().min(1).max(1000).optional(),
    })
    .strict();
}

export const imageValues = z
  .object({
    repository: z.string().min(1),
    tag: z.string(),
    digest: z.union([z.literal(''), z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256: and 64 hex digits')]).optional(),
    pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']),
  })
  .strict();
