import { App } from 'cdk8s';
import {
  CertManagerChart,
  EgressChart,
  FluxSystemChart,
  IngressChart,
  IstioBaseChart,
  IstioControlPlaneChart,
  layersWithObjects,
} from '../../charts';
import { IssuerType, LETS_ENCRYPT_PRODUCTION, goDuration, TracingProvider } from '../../constructs';
import { EnvironmentConfig } from '../environments';
import {
  chatServiceOf,
  fluxEventSeverityOf,
  gatewayServiceTypeOf,
  istioProfileOf,
  meshOutboundTrafficModeOf,
  tracingProviderOf,
} from './variants';

/** What {@link addMeshPlatform} built, for the charts that bind to it. */
export interface MeshPlatform {
  /** Istio base (and CNI). */
  readonly istioBase: IstioBaseChart;
  /** istiod and the gateway deployments. */
  readonly controlPlane: IstioControlPlaneChart;
  /** The public Gateway (and its certificate). */
  readonly ingress: IngressChart;
  /** The allowed external services. */
  readonly egress: EgressChart;
  /** cert-manager, when TLS is configured. */
  readonly certManager?: CertManagerChart;
}

/**
 * Istio (base, CNI, istiod, gateways), cert-manager, the public gateway with TLS, and the egress
 * services of one environment, from its config. Chart ids are a public contract (file names, Pulumi URNs).
 *
 * @param tracing the tracing backend to use when `mesh:istio.install.tracing` is not set
 */
export function addMeshPlatform(app: App, config: EnvironmentConfig, tracing?: TracingProvider): MeshPlatform {
  const install = config.istio.install;
  const profile = istioProfileOf(install.profile);
  const istioBase = new IstioBaseChart(app, 'istio-base', { profile, cni: install.cni });
  const tls = config.ingress.tls;
  const certManager = tls ? new CertManagerChart(app, 'cert-manager', { replicas: tls.certManagerReplicas }) : undefined;
  const controlPlane = new IstioControlPlaneChart(app, 'istio-control-plane', {
    base: istioBase.base,
    profile,
    cni: install.cni,
    outboundTrafficPolicy: meshOutboundTrafficModeOf(install.outboundTrafficPolicy),
    accessLogFile: config.istio.accessLogging ? '/dev/stdout' : undefined,
    tracing: tracingProviderOf(install.tracing) ?? tracing,
    istiod: install.istiod,
    proxyResources: install.proxy.resources,
    ingressGateway: { ...install.ingressGateway, serviceType: gatewayServiceTypeOf(install.ingressGateway.serviceType) },
    egressGateway: install.egressGateway.enabled ? install.egressGateway : undefined,
    highAvailability: config.tier === 'production',
  });
  const ingress = new IngressChart(app, 'ingress', {
    gatewayName: config.ingress.gatewayName,
    hosts: config.ingress.hosts,
    deployment: controlPlane.ingressGateway,
    tls: tls && {
      hosts: tls.hosts,
      redirectHttp: tls.redirectHttp,
      serveHttp: tls.serveHttp,
      issuer:
        tls.issuer.type === 'acme'
          ? IssuerType.acme({
              email: tls.issuer.email,
              server: tls.issuer.server ?? LETS_ENCRYPT_PRODUCTION,
              accountKeySecretName: tls.issuer.accountKeySecret,
            })
          : IssuerType.selfSigned(),
    },
  });
  const egress = new EgressChart(app, 'egress', {
    services: config.egress.services,
    throughEgressGateway: config.egress.throughEgressGateway,
    egressGateway: controlPlane.egressGateway,
  });
  return { istioBase, controlPlane, ingress, egress, certManager };
}

/**
 * The Flux bootstrap layer (`mesh:gitops`), built from the charts already in the app: call it last.
 * Without `mesh:gitops` there is no flux-system layer.
 */
export function addFluxSystem(app: App, config: EnvironmentConfig): FluxSystemChart | undefined {
  const gitops = config.gitops;
  if (!gitops) return undefined;
  return new FluxSystemChart(app, 'flux-system', {
    url: gitops.url,
    branch: gitops.branch,
    // `npm run synth` writes dist/<env>/<layer>; committed at the repository root, that is ./dist/<env>.
    path: gitops.path ?? `./dist/${config.name}`,
    secretName: gitops.secretRef,
    interval: goDuration(gitops.interval),
    timeout: goDuration(gitops.timeout),
    layers: layersWithObjects(app),
    notifications: gitops.notifications && {
      type: chatServiceOf('mesh:gitops.notifications.type', gitops.notifications.type),
      webhookSecretName: gitops.notifications.secretRef,
      channel: gitops.notifications.channel,
      severity: fluxEventSeverityOf(gitops.notifications.severity),
    },
  });
}
