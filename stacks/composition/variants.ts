import {
  ChatService,
  chatService,
  FluxEventSeverity,
  GatewayServiceType,
  IstioProfile,
  MeshOutboundTrafficMode,
  MtlsMode,
  TracingProtocol,
  TracingProvider,
} from '../../constructs';
import type { IstioInstallSettings } from '../environments/istio-install';

/**
 * The config layer speaks in strings (`Pulumi.<env>.yaml`), the library in enum-like classes: this module maps
 * each configured variant name onto its class, one function per concept, so no other place converts them.
 */

/** The variant of `all` named `name`; the config schema admits only these names, so a miss is a schema bug. */
function variantNamed<T extends { readonly name: string }>(key: string, all: readonly T[], name: string): T {
  const found = all.find((v) => v.name === name);
  if (!found) {
    throw new Error(`${key}: '${name}' is not allowed; use one of ${all.map((v) => v.name).join(', ')}`);
  }
  return found;
}

/** `mesh:istio.mtls` (`STRICT`, `PERMISSIVE`) as the mesh-wide {@link MtlsMode}. */
export function mtlsModeOf(name: string): MtlsMode {
  return variantNamed('mesh:istio.mtls', MtlsMode.ALL, name);
}

/** `mesh:istio.install.tracing.protocol` (`opentelemetry`, `zipkin`) as its {@link TracingProtocol}. */
export function tracingProtocolOf(name: string): TracingProtocol {
  return variantNamed('mesh:istio.install.tracing.protocol', TracingProtocol.ALL, name);
}

/** `mesh:istio.install.tracing` as the {@link TracingProvider} it declares, or undefined when it is not set. */
export function tracingProviderOf(settings: IstioInstallSettings['tracing']): TracingProvider | undefined {
  return settings && { ...settings, protocol: tracingProtocolOf(settings.protocol) };
}

/** `mesh:gitops.notifications.severity` (`info`, `error`) as its {@link FluxEventSeverity}. */
export function fluxEventSeverityOf(name: string): FluxEventSeverity {
  return variantNamed('mesh:gitops.notifications.severity', FluxEventSeverity.ALL, name);
}

/** `mesh:istio.install.ingressGateway.serviceType` (`LoadBalancer`, `NodePort`, `ClusterIP`) as its {@link GatewayServiceType}. */
export function gatewayServiceTypeOf(name: string): GatewayServiceType {
  return variantNamed('mesh:istio.install.ingressGateway.serviceType', GatewayServiceType.ALL, name);
}

/** `mesh:istio.install.outboundTrafficPolicy` (`ALLOW_ANY`, `REGISTRY_ONLY`) as its {@link MeshOutboundTrafficMode}. */
export function meshOutboundTrafficModeOf(name: string): MeshOutboundTrafficMode {
  return variantNamed('mesh:istio.install.outboundTrafficPolicy', MeshOutboundTrafficMode.ALL, name);
}

/** `mesh:istio.install.profile` (`default`, `openshift`) as its {@link IstioProfile}. */
export function istioProfileOf(name: string): IstioProfile {
  return variantNamed('mesh:istio.install.profile', IstioProfile.ALL, name);
}

/** A configured chat service name (`slack`, `teams`, or Flux's and Flagger's `msteams`) at `key` as its {@link ChatService}. */
export function chatServiceOf(key: string, name: string): ChatService {
  const service = chatService(name);
  if (!service) throw new Error(`${key}: '${name}' is not allowed; use one of slack, teams (or msteams)`);
  return service;
}
