import { Construct } from 'constructs';
import { HelmComponent, HelmRepositoryRef } from './helm-component';
import { chartValues } from './istio-release';

/** The cert-manager release the platform installs. */
export const CERT_MANAGER_VERSION = 'v1.20.3';

/**
 * The API groups of the CRDs the `cert-manager` chart installs with `crds.enabled` (its
 * `templates/crd-*.yaml`): issuers and certificates go in a later layer than cert-manager.
 */
export const CERT_MANAGER_API_GROUPS: readonly string[] = ['cert-manager.io', 'acme.cert-manager.io'];

/** Jetstack's Helm chart repository. */
export const JETSTACK_REPOSITORY: HelmRepositoryRef = { name: 'jetstack', url: 'https://charts.jetstack.io' };

/** The values of the `cert-manager` chart that the platform sets. */
export interface CertManagerValues {
  /** The chart's CRDs. */
  readonly crds?: {
    /** Install the CRDs with the chart. */
    readonly enabled: boolean;
    /** Keep them when the release is uninstalled (deleting a CRD deletes every certificate). */
    readonly keep: boolean;
  };
  /** Controller replicas. */
  readonly replicaCount?: number;
  /** The controller's PodDisruptionBudget. */
  readonly podDisruptionBudget?: { readonly enabled: boolean; readonly minAvailable?: number };
  /** The admission webhook. */
  readonly webhook?: {
    readonly replicaCount?: number;
    readonly podDisruptionBudget?: { readonly enabled: boolean; readonly minAvailable?: number };
  };
  /** The CA injector. */
  readonly cainjector?: {
    readonly replicaCount?: number;
    readonly podDisruptionBudget?: { readonly enabled: boolean; readonly minAvailable?: number };
  };
}

/** Properties of a {@link CertManager}. */
export interface CertManagerProps {
  /**
   * Namespace of cert-manager.
   * @default 'cert-manager'
   */
  readonly namespace?: string;
  /**
   * Replicas of the controller, the webhook and the CA injector. With 2 or more, each gets a
   * PodDisruptionBudget (the webhook validates every Certificate change).
   * @default 1
   */
  readonly replicas?: number;
}

/**
 * cert-manager (chart `cert-manager` from charts.jetstack.io), CRDs included: issues and renews the
 * gateway's TLS certificates from a `ClusterCertificateIssuer`.
 */
export class CertManager extends HelmComponent {
  /** The values given to the chart. */
  readonly typedValues: CertManagerValues;

  constructor(scope: Construct, id: string, props: CertManagerProps = {}) {
    const replicas = props.replicas ?? 1;
    const pdb = replicas >= 2 ? { enabled: true, minAvailable: 1 } : { enabled: false };
    const values: CertManagerValues = {
      crds: { enabled: true, keep: true },
      replicaCount: replicas,
      podDisruptionBudget: pdb,
      webhook: { replicaCount: replicas, podDisruptionBudget: pdb },
      cainjector: { replicaCount: replicas, podDisruptionBudget: pdb },
    };
    super(scope, id, {
      repository: JETSTACK_REPOSITORY,
      chart: 'cert-manager',
      version: CERT_MANAGER_VERSION,
      namespace: props.namespace ?? 'cert-manager',
      releaseName: 'cert-manager',
      values: chartValues(values),
      crdApiGroups: CERT_MANAGER_API_GROUPS,
    });
    this.typedValues = values;
  }
}
