import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { type ControlPlane, startControlPlane } from '../../src/control-plane/control-plane.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    controlPlane: { server: string; adminKubeconfig: string; pkiDir: string; binDir: string };
  }
}

let plane: ControlPlane | undefined;

/** One real control plane per test run; suites isolate themselves by namespace and object names. */
export default async function setup(project: TestProject) {
  plane = await startControlPlane({ crdDir: fileURLToPath(new URL('../../crds', import.meta.url)) });
  process.stderr.write(`[control-plane] started in ${plane.startupSeconds.toFixed(1)} s (warm cache)\n`);
  project.provide('controlPlane', {
    server: plane.server,
    adminKubeconfig: plane.adminKubeconfig,
    pkiDir: plane.pki.dir,
    binDir: plane.binaries.kubeApiserver.replace(/\/kube-apiserver$/, ''),
  });
  return async () => {
    await plane?.stop();
  };
}
