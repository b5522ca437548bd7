import {
  ChatService,
  FluxEventSeverity,
  GatewayServiceType,
  IstioProfile,
  MeshOutboundTrafficMode,
  MtlsMode,
  TracingProtocol,
} from '../../../constructs';
import { parseEnvironment } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import {
  chatServiceOf,
  fluxEventSeverityOf,
  gatewayServiceTypeOf,
  istioProfileOf,
  meshOutboundTrafficModeOf,
  mtlsModeOf,
  tracingProtocolOf,
  tracingProviderOf,
} from '../../../stacks/composition/variants';
import { renderCharts } from '../../../stacks/engines/render';

describe('config variant names onto the library classes', () => {
  test('mesh:istio.mtls: every name the schema admits maps onto its MtlsMode', () => {
    expect(mtlsModeOf('STRICT')).toBe(MtlsMode.STRICT);
    expect(mtlsModeOf('PERMISSIVE')).toBe(MtlsMode.PERMISSIVE);
    expect(() => mtlsModeOf('OFF')).toThrow("mesh:istio.mtls: 'OFF' is not allowed; use one of STRICT, PERMISSIVE, DISABLE");
  });

  test.each(['STRICT', 'PERMISSIVE'])('mesh:istio.mtls: %s reaches the mesh-wide PeerAuthentication and the load tester access', (mtls) => {
    const app = buildPlatform(parseEnvironment('dev', { 'mesh:istio': { mtls } }, 'Pulumi.dev.yaml'));
    const peers = renderCharts(app)
      .flatMap((c) => c.objects)
      .filter((o) => o.kind === 'PeerAuthentication');
    expect(peers.find((o) => o.metadata.name === 'default')?.spec).toEqual({ mtls: { mode: mtls } });
    // Under STRICT only, Flagger (outside the mesh) needs a plain-text port on its load tester.
    expect(peers.some((o) => o.metadata.name === 'flagger-loadtester')).toBe(mtls === 'STRICT');
  });

  test('mesh:istio.install.tracing: the protocol name maps onto its TracingProtocol', () => {
    expect(tracingProtocolOf('opentelemetry')).toBe(TracingProtocol.OPENTELEMETRY);
    expect(tracingProtocolOf('zipkin')).toBe(TracingProtocol.ZIPKIN);
    expect(() => tracingProtocolOf('jaeger')).toThrow(
      "mesh:istio.install.tracing.protocol: 'jaeger' is not allowed; use one of opentelemetry, zipkin",
    );
    const settings = { name: 'zipkin', protocol: 'zipkin' as const, service: 'zipkin.tracing.svc.cluster.local', port: 9411 };
    expect(tracingProviderOf(settings)).toEqual({ ...settings, protocol: TracingProtocol.ZIPKIN });
    expect(tracingProviderOf(undefined)).toBeUndefined();
  });

  test('mesh:istio.install.tracing with Zipkin reaches istiod and the mesh Telemetry', () => {
    const tracing = { name: 'zipkin', protocol: 'zipkin', service: 'zipkin.tracing.svc.cluster.local', port: 9411 };
    const app = buildPlatform(parseEnvironment('dev', { 'mesh:istio': { install: { tracing } } }, 'Pulumi.dev.yaml'));
    const objects = renderCharts(app).flatMap((c) => c.objects);
    const istiod = objects.find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'istiod');
    expect(istiod?.spec).toMatchObject({
      values: {
        meshConfig: { extensionProviders: [{ name: 'zipkin', zipkin: { service: 'zipkin.tracing.svc.cluster.local', port: 9411 } }] },
      },
    });
    const telemetry = objects.find((o) => o.kind === 'Telemetry' && o.metadata.namespace === 'istio-system');
    expect(telemetry?.spec).toMatchObject({ tracing: [{ providers: [{ name: 'zipkin' }] }] });
  });

  test('mesh:gitops.notifications.severity maps onto its FluxEventSeverity and reaches the Alert', () => {
    expect(fluxEventSeverityOf('info')).toBe(FluxEventSeverity.INFO);
    expect(fluxEventSeverityOf('error')).toBe(FluxEventSeverity.ERROR);
    expect(() => fluxEventSeverityOf('warn')).toThrow("mesh:gitops.notifications.severity: 'warn' is not allowed; use one of info, error");
    const gitops = {
      url: 'ssh://git@github.com/acme/mesh.git',
      notifications: { type: 'slack', secretRef: 'slack-webhook', severity: 'error' },
    };
    const objects = renderCharts(buildPlatform(parseEnvironment('dev', { 'mesh:gitops': gitops }, 'Pulumi.dev.yaml'))).flatMap(
      (c) => c.objects,
    );
    expect(objects.find((o) => o.kind === 'Alert')?.spec).toMatchObject({ eventSeverity: 'error' });
  });

  test('mesh:istio.install.ingressGateway.serviceType maps onto its GatewayServiceType and reaches the gateway chart', () => {
    expect(GatewayServiceType.ALL.map((t) => gatewayServiceTypeOf(t.name))).toEqual(GatewayServiceType.ALL);
    expect(() => gatewayServiceTypeOf('ExternalName')).toThrow(
      "mesh:istio.install.ingressGateway.serviceType: 'ExternalName' is not allowed; use one of LoadBalancer, NodePort, ClusterIP",
    );
    const config = { 'mesh:istio': { install: { ingressGateway: { serviceType: 'NodePort' } } } };
    const objects = renderCharts(buildPlatform(parseEnvironment('dev', config, 'Pulumi.dev.yaml'))).flatMap((c) => c.objects);
    const ingress = objects.find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'istio-ingressgateway');
    expect(ingress?.spec).toMatchObject({ values: { service: { type: 'NodePort' } } });
  });

  test.each(['ALLOW_ANY', 'REGISTRY_ONLY'])(
    'mesh:istio.install.outboundTrafficPolicy: %s maps onto its MeshOutboundTrafficMode and reaches istiod',
    (mode) => {
      expect(meshOutboundTrafficModeOf(mode)).toBe(MeshOutboundTrafficMode.ALL.find((m) => m.name === mode));
      expect(() => meshOutboundTrafficModeOf('DENY')).toThrow(
        "mesh:istio.install.outboundTrafficPolicy: 'DENY' is not allowed; use one of ALLOW_ANY, REGISTRY_ONLY",
      );
      const config = { 'mesh:istio': { install: { outboundTrafficPolicy: mode } } };
      const objects = renderCharts(buildPlatform(parseEnvironment('dev', config, 'Pulumi.dev.yaml'))).flatMap((c) => c.objects);
      const istiod = objects.find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'istiod');
      expect(istiod?.spec).toMatchObject({ values: { meshConfig: { outboundTrafficPolicy: { mode } } } });
    },
  );

  test('mesh:istio.install.profile maps onto its IstioProfile and reaches the Istio charts', () => {
    expect(istioProfileOf('default')).toBe(IstioProfile.DEFAULT);
    expect(istioProfileOf('openshift')).toBe(IstioProfile.OPENSHIFT);
    expect(() => istioProfileOf('ambient')).toThrow("mesh:istio.install.profile: 'ambient' is not allowed; use one of default, openshift");
    const config = { 'mesh:istio': { install: { profile: 'openshift', cni: true } } };
    const objects = renderCharts(buildPlatform(parseEnvironment('dev', config, 'Pulumi.dev.yaml'))).flatMap((c) => c.objects);
    const istiod = objects.find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'istiod');
    expect(istiod?.spec).toMatchObject({ values: { global: { platform: 'openshift' } } });
  });

  test("chat service names (Flux's and Flagger's msteams too) map onto ChatService and reach Flux's Provider and Flagger's AlertProvider", () => {
    expect(chatServiceOf('mesh:canary.alerts.channel', 'slack')).toBe(ChatService.SLACK);
    expect(chatServiceOf('mesh:canary.alerts.channel', 'teams')).toBe(ChatService.TEAMS);
    expect(chatServiceOf('mesh:gitops.notifications.type', 'msteams')).toBe(ChatService.TEAMS);
    expect(() => chatServiceOf('mesh:gitops.notifications.type', 'discord')).toThrow(
      "mesh:gitops.notifications.type: 'discord' is not allowed; use one of slack, teams (or msteams)",
    );
    const config = {
      'mesh:gitops': { url: 'ssh://git@github.com/acme/mesh.git', notifications: { type: 'msteams', secretRef: 'teams-webhook' } },
      'mesh:canary': { alerts: { channel: 'teams', secretName: 'flagger-teams' } },
    };
    const objects = renderCharts(buildPlatform(parseEnvironment('dev', config, 'Pulumi.dev.yaml'))).flatMap((c) => c.objects);
    const flux = objects.find((o) => o.kind === 'Provider' && o.apiVersion.startsWith('notification.toolkit.fluxcd.io'));
    expect(flux?.metadata.name).toBe('flux-system-msteams');
    expect(flux?.spec).toMatchObject({ type: 'msteams' });
    expect(objects.find((o) => o.kind === 'AlertProvider')?.spec).toMatchObject({ type: 'msteams' });
  });
});
