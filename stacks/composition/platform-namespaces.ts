import { App } from 'cdk8s';
import { kialiPods, PlatformIsolationChart, PlatformNamespacesChart } from '../../charts';
import { ObservabilityStack, WorkloadIdentity } from '../../constructs';
import { EnvironmentConfig } from '../environments';
import { MeshPlatform } from './mesh-platform';
import { ProgressiveDelivery } from './progressive-delivery';

/** What the platform's namespaces are isolated around. */
export interface PlatformNamespacesInputs {
  /** Istio (istiod, the gateways, the CNI agent) and cert-manager. */
  readonly mesh: MeshPlatform;
  /** The observability stack (Prometheus, Grafana, Jaeger, Kiali). */
  readonly observability: ObservabilityStack;
  /** Flagger and its load tester. */
  readonly delivery: ProgressiveDelivery;
  /** The Prometheus that scrapes the platform (`mesh:security.prometheus`, else the stack's). */
  readonly prometheus: WorkloadIdentity;
}

/** What {@link addPlatformNamespaces} built. */
export interface PlatformNamespaces {
  /** Layer infrastructure: istio-system and cert-manager, declared, labelled and isolated. */
  readonly namespaces: PlatformNamespacesChart;
  /** Layer platform: the observability namespace's isolation (with `mesh:security.networkPolicies`). */
  readonly isolation?: PlatformIsolationChart;
}

/**
 * The namespaces the platform's Helm releases install into, beyond the app namespaces zero trust governs: each
 * declared by the platform with its Pod Security level and, with `mesh:security.networkPolicies`, a default-deny
 * ingress NetworkPolicy and exactly the traffic its components need (the load tester's namespace is isolated by
 * the `load-tester-access` chart's policy, the app namespaces by `zero-trust`'s). Chart ids are a public contract.
 */
export function addPlatformNamespaces(app: App, config: EnvironmentConfig, inputs: PlatformNamespacesInputs): PlatformNamespaces {
  const { mesh, observability, delivery, prometheus } = inputs;
  const networkPolicies = config.security.networkPolicies;
  const control = mesh.controlPlane;
  const flagger = delivery.platform.flagger.workload;
  const namespaces = new PlatformNamespacesChart(app, 'platform-namespaces', {
    istiod: control.istiod,
    gateways: [control.ingressGateway, ...(control.egressGateway ? [control.egressGateway] : [])],
    cni: mesh.istioBase.cni,
    certManager: mesh.certManager?.certManager,
    acmeHttp01: config.ingress.tls?.issuer.type === 'acme',
    // Flagger's own namespace is declared here only when it is one of these (istio-system by default).
    flagger,
    prometheus,
    kiali: kialiPods(observability.namespace),
    networkPolicies,
  });
  const isolation = networkPolicies ? new PlatformIsolationChart(app, 'platform-isolation', { observability, flagger }) : undefined;
  return { namespaces, isolation };
}
