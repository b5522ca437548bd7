import { Construct } from 'constructs';
import { HelmComponent, HelmRepositoryRef } from './helm-component';
import { invalid } from '../core/errors';
import { ChartResources, chartValues, checkChartResources } from './istio-release';

/** The cert-manager release the platform installs. */
export const CERT_MANAGER_VERSION = 'v1.20.3';

/** The namespace cert-manager is installed into unless `namespace` says otherwise. */
export const CERT_MANAGER_NAMESPACE = 'cert-manager';

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
  /** The controller's requests and limits (the chart sets none). */
  readonly resources?: ChartResources;
  /** The controller's PodDisruptionBudget. */
  readonly podDisruptionBudget?: { readonly enabled: boolean; readonly minAvailable?: number };
  /** The admission webhook. */
  readonly webhook?: {
    readonly replicaCount?: number;
    readonly resources?: ChartResources;
    readonly podDisruptionBudget?: { readonly enabled: boolean; readonly minAvailable?: number };
  };
  /** The CA injector. */
  readonly cainjector?: {
    readonly replicaCount?: number;
    readonly resources?: ChartResources;
    readonly podDisruptionBudget?: { readonly enabled: boolean; readonly minAvailable?: number };
  };
  /** The post-install Job that waits for the webhook (a Helm hook: it runs once per install). */
  readonly startupapicheck?: { readonly resources?: ChartResources };
}

/** Requests and limits of cert-manager's containers. */
export interface CertManagerResources {
  /**
   * The controller (issues and renews certificates).
   * @default - 10m CPU and 64Mi requested, limits 500m and 256Mi
   */
  readonly controller?: ChartResources;
  /**
   * The admission webhook.
   * @default - 10m CPU and 32Mi requested, limits 250m and 128Mi
   */
  readonly webhook?: ChartResources;
  /**
   * The CA injector (it caches the Secrets it injects from: its memory grows with them).
   * @default - 10m CPU and 64Mi requested, limits 500m and 512Mi
   */
  readonly cainjector?: ChartResources;
  /**
   * The post-install check Job.
   * @default - 10m CPU and 32Mi requested, limits 100m and 64Mi
   */
  readonly startupApiCheck?: ChartResources;
}

/** What {@link CertManager} requests when {@link CertManagerProps.resources} is silent: the chart itself sets none. */
export const CERT_MANAGER_DEFAULT_RESOURCES: Required<CertManagerResources> = {
  controller: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  webhook: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '250m', memory: '128Mi' } },
  cainjector: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
  startupApiCheck: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
};

/** Properties of a {@link CertManager}. */
export interface CertManagerProps {
  /**
   * Namespace of cert-manager.
   * @default CERT_MANAGER_NAMESPACE ('cert-manager')
   */
  readonly namespace?: string;
  /**
   * Replicas of the controller, the webhook and the CA injector. With 2 or more, each gets a
   * PodDisruptionBudget (the webhook validates every Certificate change).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Requests and limits of each container, each replacing its default whole.
   * @default CERT_MANAGER_DEFAULT_RESOURCES
   */
  readonly resources?: CertManagerResources;
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
    const resources = { ...CERT_MANAGER_DEFAULT_RESOURCES, ...props.resources };
    const values: CertManagerValues = {
      crds: { enabled: true, keep: true },
      replicaCount: replicas,
      podDisruptionBudget: pdb,
      resources: resources.controller,
      webhook: { replicaCount: replicas, podDisruptionBudget: pdb, resources: resources.webhook },
      cainjector: { replicaCount: replicas, podDisruptionBudget: pdb, resources: resources.cainjector },
      startupapicheck: { resources: resources.startupApiCheck },
    };
    super(scope, id, {
      repository: JETSTACK_REPOSITORY,
      chart: 'cert-manager',
      version: CERT_MANAGER_VERSION,
      namespace: props.namespace ?? CERT_MANAGER_NAMESPACE,
      releaseName: 'cert-manager',
      values: chartValues(values),
      crdApiGroups: CERT_MANAGER_API_GROUPS,
    });
    this.typedValues = values;
    for (const [key, r] of Object.entries(resources)) {
      checkChartResources(`resources.${key}`, r, (message) => invalid('CertManager', this, message));
    }
  }
}
