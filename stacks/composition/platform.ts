import { App } from 'cdk8s';
import { LoadTesterAccessChart, MeshConfigChart, ObservabilityChart, ZeroTrustChart } from '../../charts';
import { jaegerTracingProvider, MeshNamespace } from '../../constructs';
import { EnvironmentConfig } from '../environments';
import { RESERVED_APP_NAMESPACES } from '../environments/namespaces';
import type { EgressSettings } from '../environments/egress';
import codeApps from '../../apps';
import { addCodeApps, AppsRegistration } from './code-apps';
import { addFluxSystem, addMeshPlatform } from './mesh-platform';
import { addProgressiveDelivery } from './progressive-delivery';
import { addUserApps } from './apps';
import { addPlatformNamespaces } from './platform-namespaces';
import { demoExternalServices } from './demos';
import { mtlsModeOf, tracingProviderOf } from './variants';

/** Namespaces of Kubernetes, Istio and Flux, never an app's. */

/** Options of {@link buildPlatform}. */
export interface BuildPlatformOptions {
  /**
   * The team's apps in code, added after the platform and before zero trust.
   * @default - the registration of `apps/index.ts`
   */
  readonly apps?: AppsRegistration;
}

/**
 * The whole platform of one environment as a cdk8s construct tree: the one model both engines
 * deliver (`cdk8s synth` writes it to a Flux tree; the Pulumi program declares its objects).
 *
 * Pure: plain config in, construct tree out. No I/O, no Pulumi outputs.
 * Chart ids are a public contract: they name output files and Pulumi resources.
 */
export function buildPlatform(config: EnvironmentConfig, options: BuildPlatformOptions = {}): App {
  const app = new App({ outdir: `dist/${config.name}` });
  // Istio (base, CNI, istiod, gateways), cert-manager, the public gateway with TLS, the egress services.
  // Istio's tracing extension provider is mesh:istio.install.tracing, else the observability stack's Jaeger;
  // the mesh-wide Telemetry samples into that same provider.
  const tracing = tracingProviderOf(config.istio.install.tracing) ?? jaegerTracingProvider(config.observability.namespace);
  // The demo apps are opt-in (mesh:demo.apps, none in production): the external service they call
  // (httpbin.org) is allowed only where they are deployed, unless the environment lists it itself.
  const listed = new Set(config.egress.services.map((s) => s.name));
  // (The EgressChart checks every service's hosts and protocols, the demo's included.)
  const egressServices = [
    ...config.egress.services,
    ...(demoExternalServices(config.demo.apps).filter((s) => !listed.has(s.name)) as EgressSettings['services']),
  ];
  const mesh = addMeshPlatform(app, { ...config, egress: { ...config.egress, services: egressServices } }, tracing);
  const mtls = mtlsModeOf(config.istio.mtls);
  new MeshConfigChart(app, 'mesh-config', { ...config.istio, mtls, tracingProvider: tracing.name });
  // Prometheus, Grafana, Jaeger, Kiali and the mesh alerts, sized for the tier (layer platform).
  const observability = new ObservabilityChart(app, 'observability', { ...config.observability, tier: config.tier });
  // Flagger and its load tester, and the latency template and alert provider the apps' releases share.
  const delivery = addProgressiveDelivery(app, config, { mesh, prometheusUrl: observability.stack.prometheusUrl });
  // The platform team's own apps (mesh:apps) and the demo apps the environment opts into (mesh:demo, mesh:canary:
  // S2's httpbin and sleep, S3's canary and S4's resilience on httpbin, S7's weighted split, S6's bookinfo), built
  // alike; their releases use Flagger's shared latency template and alert provider.
  addUserApps(app, config, {
    gateway: mesh.ingress.gateway,
    latency: delivery.configs.latency,
    alertProvider: delivery.configs.alertProvider,
  });
  const prometheus = config.security.prometheus ?? observability.stack.prometheusIdentity;
  // istio-system, cert-manager and observability: declared with their Pod Security level, default-deny ingress
  // and exactly the traffic their components need (layers infrastructure and platform).
  const platformNamespaces = addPlatformNamespaces(app, config, { mesh, observability: observability.stack, delivery, prometheus });
  // The team's apps in code (apps/index.ts), kept out of the namespaces the platform uses or declares itself.
  addCodeApps(app, config, options.apps ?? codeApps, {
    publicGateway: mesh.ingress.gateway,
    loadTesterUrl: delivery.platform.loadTester.url,
    prometheus,
    platformNamespaces: [
      ...new Set([
        ...RESERVED_APP_NAMESPACES,
        config.observability.namespace,
        ...platformNamespaces.namespaces.namespaces.keys(),
        ...app.node.findAll().flatMap((c) => (c instanceof MeshNamespace ? [c.name] : [])),
      ]),
    ],
  });
  // Flagger (outside the mesh) may call its load tester's webhooks under STRICT mTLS, and nothing else may (layer
  // platform, beside the load tester): on the webhook paths of every Canary of the tree, found at synthesis.
  new LoadTesterAccessChart(app, 'load-tester-access', {
    flagger: delivery.platform.flagger.workload,
    loadTester: delivery.platform.loadTester.workload,
    mtls,
    defaultDeny: config.security.defaultDeny,
    networkPolicies: config.security.networkPolicies,
    prometheus,
    // The load tester's Sidecar imports the Canaries' canary Services and the tracing collector only.
    sidecarScoping: config.security.sidecarScoping,
    tracingCollector: tracing,
  });
  // Zero trust for the apps: every declared call allowed, nothing else (a chart of its own, layer apps). It
  // governs every MeshApp of the tree, found at synthesis: apps created before or after it alike.
  // Every Sidecar imports the tracing collector's Service (else the proxies have no cluster to export spans to).
  new ZeroTrustChart(app, 'zero-trust', {
    ...config.security,
    prometheus,
    tracingCollector: tracing,
    mtls,
    production: config.tier === 'production',
  });
  // Last: Flux's bootstrap layer, which needs to know which layers above have objects.
  addFluxSystem(app, config);
  return app;
}
