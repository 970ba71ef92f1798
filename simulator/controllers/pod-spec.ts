/** The parts of a pod spec the simulated scheduler, kubelet and admission look at. */

export interface SecurityContext {
  privileged?: boolean;
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  securityContext?: SecurityContext;
  ports?: { containerPort?: number; hostPort?: number; protocol?: string }[];
  [key: string]: unknown;
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  [key: string]: unknown;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  serviceAccountName?: string;
  serviceAccount?: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  tolerations?: Toleration[];
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  [key: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  spec: PodSpec;
}

export function serviceAccountOf(spec: PodSpec): string {
  return spec.serviceAccountName || spec.serviceAccount || 'default';
}

/** The volume source kind (`hostPath`, `emptyDir`, `persistentVolumeClaim`, …) of a pod volume. */
export function volumeKind(volume: Volume): string {
  return Object.keys(volume).find((key) => key !== 'name') ?? 'emptyDir';
}
