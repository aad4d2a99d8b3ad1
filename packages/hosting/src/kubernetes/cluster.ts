/**
 * The Kubernetes driver's dealings with the cluster that are not about one node's objects:
 * where the cluster is (`loadKubeConfig`), what a pod's state means to the driver
 * (`podStatus`), and how API answers of "exists already" (409) and "not found" (404) are taken.
 */
import type { NodeRunStatus } from '@blgv/core';
import { ApiException, KubeConfig, type V1Pod } from '@kubernetes/client-node';

/** Waiting reasons of a container that will not start by waiting longer. */
const FAILED_REASONS = new Set([
  'CrashLoopBackOff',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/** The cluster and identity from a kubeconfig file, or (no path) from the pod's service account. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (kubeconfigPath) kubeConfig.loadFromFile(kubeconfigPath);
  else if (process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster();
  else
    throw new Error(
      'hosting.kubernetes.kubeconfigPath is unset and this is not a pod (no KUBERNETES_SERVICE_HOST): set one of them',
    );
  return kubeConfig;
}

/** A pod's state as the driver reports it (no pod: `pending`). */
export function podStatus(pod: V1Pod | undefined): NodeRunStatus {
  if (!pod) return 'pending';
  if (pod.status?.phase === 'Failed') return 'failed';
  const waiting = pod.status?.containerStatuses?.map((c) => c.state?.waiting?.reason);
  if (waiting?.some((r) => r && FAILED_REASONS.has(r))) return 'failed';
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  return pod.status?.phase === 'Running' && ready ? 'running' : 'pending';
}

/** Creates an object, or reads the one that exists already (409). */
export async function existing<T>(create: () => Promise<T>, read: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (err instanceof ApiException && err.code === 409) return read();
    throw err;
  }
}

/** Runs a deletion (or patch); gone already (404) is fine. */
export async function gone(op: () => Promise<unknown>): Promise<void> {
  try {
    await op();
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 404)) throw err;
  }
}

/** A read, or undefined when the object does not exist (404). */
export async function orUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return undefined;
    throw err;
  }
}
