import { Chart, Testing } from 'cdk8s';
import {
  GatewayDirection,
  GatewayServiceType,
  IstioProfile,
  MeshOutboundTrafficMode,
  HelmComponent,
  IstioBase,
  IstioCni,
  IstioGateway,
  Istiod,
  ISTIO_VERSION,
  TracingProtocol,
} from '../../../constructs';
import { IstioBaseChart, IstioControlPlaneChart } from '../../../charts';

function chart(): Chart {
  return new Chart(Testing.app(), 'test');
}

function release(c: Chart, name: string): any {
  return Testing.synth(c).find((o) => o.kind === 'HelmRelease' && o.metadata.name === name);
}

describe('Istio components', () => {
  test('base, istiod and the ingress gateway come from the istio repository at 1.30.3, in dependency order', () => {
    const c = chart();
    const base = new IstioBase(c, 'istio-base');
    const istiod = new Istiod(c, 'istiod', { base });
    new IstioGateway(c, 'ingress', { istiod, direction: GatewayDirection.INGRESS });
    const objects = Testing.synth(c);
    expect(objects.find((o) => o.kind === 'HelmRepository')).toMatchObject({
      metadata: { name: 'istio', namespace: 'flux-system' },
      spec: { url: 'https://istio-release.storage.googleapis.com/charts' },
    });
    expect(release(c, 'istio-base')).toMatchObject({
      spec: { chart: { spec: { chart: 'base', version: ISTIO_VERSION } }, targetNamespace: 'istio-system' },
    });
    expect(release(c, 'istiod')).toMatchObject({
      spec: { chart: { spec: { chart: 'istiod', version: '1.30.3' } }, dependsOn: [{ name: 'istio-base', namespace: 'flux-system' }] },
    });
    expect(release(c, 'istio-ingressgateway')).toMatchObject({
      spec: {
        chart: { spec: { chart: 'gateway', version: '1.30.3' } },
        targetNamespace: 'istio-system',
        dependsOn: [{ name: 'istiod' }],
        values: {
          name: 'istio-ingressgateway',
          labels: { istio: 'ingressgateway' },
          service: { type: 'LoadBalancer' },
          replicaCount: 1,
          autoscaling: { enabled: false },
        },
      },
    });
  });

  test('istiod mesh config: access log to stdout, outbound policy, tracing provider', () => {
    const c = chart();
    const istiod = new Istiod(c, 'istiod', {
      base: new IstioBase(c, 'base'),
      accessLogFile: '/dev/stdout',
      outboundTrafficPolicy: MeshOutboundTrafficMode.ALLOW_ANY,
      tracing: { name: 'jaeger', protocol: TracingProtocol.OPENTELEMETRY, service: 'jaeger.observability.svc.cluster.local', port: 4317 },
    });
    expect(istiod.typedValues.meshConfig).toEqual({
      accessLogFile: '/dev/stdout',
      outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
      extensionProviders: [{ name: 'jaeger', opentelemetry: { service: 'jaeger.observability.svc.cluster.local', port: 4317 } }],
      // Istio's standard metrics stay on: the chart's own metrics provider is dropped once defaultProviders is set.
      defaultProviders: { metrics: ['prometheus'], tracing: ['jaeger'] },
    });
  });

  test('istiod defaults are secure: REGISTRY_ONLY, one replica without a PDB that would block drains', () => {
    const c = chart();
    new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
    expect(release(c, 'istiod').spec.values).toMatchObject({
      global: { defaultPodDisruptionBudget: { enabled: false } },
      pilot: { replicaCount: 1, autoscaleEnabled: false, cni: { enabled: false } },
      meshConfig: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, accessLogFile: '', defaultProviders: { metrics: ['prometheus'] } },
    });
  });

  test('istiod highly available: HPA from 2 replicas and a PDB', () => {
    const c = chart();
    new Istiod(c, 'istiod', { base: new IstioBase(c, 'base'), autoscaling: { minReplicas: 2, maxReplicas: 5 } });
    const values = release(c, 'istiod').spec.values;
    // The istiod chart's PDB is always minAvailable 1; `enabled` is the only field it reads.
    expect(values.global.defaultPodDisruptionBudget).toEqual({ enabled: true });
    expect(values.pilot).toMatchObject({ autoscaleEnabled: true, autoscaleMin: 2, autoscaleMax: 5, cpu: { targetAverageUtilization: 80 } });
    expect(values.pilot.replicaCount).toBeUndefined();
  });

  test('CNI plugin and OpenShift: the platform value openshift on every chart, never an Istio profile (unknown since Istio 1.24)', () => {
    const c = chart();
    const base = new IstioBase(c, 'istio-base', { profile: IstioProfile.OPENSHIFT });
    new IstioCni(c, 'istio-cni', { base, profile: IstioProfile.OPENSHIFT });
    const istiod = new Istiod(c, 'istiod', { base, profile: IstioProfile.OPENSHIFT, cni: true });
    new IstioGateway(c, 'gw', { istiod, direction: GatewayDirection.INGRESS, profile: IstioProfile.OPENSHIFT });
    expect(release(c, 'istio-cni')).toMatchObject({
      spec: {
        chart: { spec: { chart: 'cni', version: '1.30.3' } },
        dependsOn: [{ name: 'istio-base' }],
        values: { global: { platform: 'openshift' } },
      },
    });
    expect(release(c, 'istiod').spec.values).toMatchObject({
      global: { platform: 'openshift', istioNamespace: 'istio-system' },
      pilot: { cni: { enabled: true } },
    });
    // base and gateway read it only through zzz_profile.yaml's coalesce of platform and global.platform.
    expect(release(c, 'istio-base').spec.values).toMatchObject({ platform: 'openshift', global: { istioNamespace: 'istio-system' } });
    expect(release(c, 'istio-ingressgateway').spec.values).toMatchObject({ platform: 'openshift' });
    for (const name of ['istio-base', 'istio-cni', 'istiod', 'istio-ingressgateway'])
      expect(release(c, name).spec.values).not.toHaveProperty('profile');
  });

  test('plain Kubernetes: no platform, and the cni chart gets no global.istioNamespace (it never reads one)', () => {
    const c = chart();
    const base = new IstioBase(c, 'istio-base');
    new IstioCni(c, 'istio-cni', { base });
    expect(release(c, 'istio-base').spec.values.global).toEqual({ istioNamespace: 'istio-system' });
    expect(release(c, 'istio-cni').spec.values).toBeUndefined();
  });

  test('the egress gateway: istio-egressgateway, label istio: egressgateway, ClusterIP', () => {
    const c = chart();
    const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
    const egress = new IstioGateway(c, 'egress', { istiod, direction: GatewayDirection.EGRESS, replicas: 2 });
    expect(egress.serviceHost).toBe('istio-egressgateway.istio-system.svc.cluster.local');
    expect(release(c, 'istio-egressgateway').spec.values).toMatchObject({
      labels: { istio: 'egressgateway' },
      service: { type: 'ClusterIP' },
      replicaCount: 2,
      podDisruptionBudget: { minAvailable: 1 },
    });
  });

  test('gateway autoscaling', () => {
    const c = chart();
    const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
    new IstioGateway(c, 'ingress', {
      istiod,
      direction: GatewayDirection.INGRESS,
      autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 70 },
    });
    expect(release(c, 'istio-ingressgateway').spec.values).toMatchObject({
      autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 10, targetCPUUtilizationPercentage: 70 },
      podDisruptionBudget: { minAvailable: 1 },
    });
  });

  test('fails when a chart version is not exact', () => {
    expect(
      () =>
        new HelmComponent(chart(), 'istiod', {
          repository: { name: 'istio', url: 'https://istio-release.storage.googleapis.com/charts' },
          chart: 'istiod',
          version: '~1.30',
          namespace: 'istio-system',
        }),
    ).toThrow(/HelmComponent test\/istiod: chart version '~1.30' of istiod is not an exact semantic version; pin one such as '1.30.3'/);
  });

  test('fails when istiod has a PDB with a single replica', () => {
    const c = chart();
    expect(() => new Istiod(c, 'istiod', { base: new IstioBase(c, 'base'), podDisruptionBudget: true })).toThrow(
      /Istiod test\/istiod: a PodDisruptionBudget with 1 replica would block every node drain; run at least 2 replicas/,
    );
  });

  test('fails when a gateway has a PDB with a single replica', () => {
    const c = chart();
    const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
    expect(() => new IstioGateway(c, 'ingress', { istiod, direction: GatewayDirection.INGRESS, podDisruptionBudget: true })).toThrow(
      'IstioGateway test/ingress: a PodDisruptionBudget with 1 replica would block every node drain; run at least 2 replicas or set podDisruptionBudget: false',
    );
  });

  test.each([0, 1.5])('fails when istiod replicas is not a positive integer: %p', (replicas) => {
    const c = chart();
    expect(() => new Istiod(c, 'istiod', { base: new IstioBase(c, 'base'), replicas })).toThrow(
      `Istiod test/istiod: replicas ${replicas} is not a positive integer`,
    );
  });

  test('fails when the autoscaling CPU target is not a percentage', () => {
    const c = chart();
    const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
    expect(
      () =>
        new IstioGateway(c, 'ingress', {
          istiod,
          direction: GatewayDirection.INGRESS,
          autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 150 },
        }),
    ).toThrow('IstioGateway test/ingress: autoscaling cpuUtilization 150 is not a percentage in 1-100');
  });

  test('fails when the OpenShift profile is used without the CNI plugin', () => {
    const c = chart();
    expect(() => new Istiod(c, 'istiod', { base: new IstioBase(c, 'base'), profile: IstioProfile.OPENSHIFT })).toThrow(
      /Istiod test\/istiod: profile 'openshift' needs the Istio CNI plugin.*set cni: true/,
    );
  });

  test('fails when autoscaling bounds are inverted', () => {
    const c = chart();
    expect(() => new Istiod(c, 'istiod', { base: new IstioBase(c, 'base'), autoscaling: { minReplicas: 3, maxReplicas: 2 } })).toThrow(
      /Istiod test\/istiod: autoscaling maxReplicas 2 is below minReplicas 3/,
    );
  });

  test('fails when the tracing service is not a qualified Service name', () => {
    const c = chart();
    expect(
      () =>
        new Istiod(c, 'istiod', {
          base: new IstioBase(c, 'base'),
          tracing: { name: 'jaeger', protocol: TracingProtocol.ZIPKIN, service: 'http://jaeger:9411', port: 9411 },
        }),
    ).toThrow(/Istiod test\/istiod: tracing service 'http:\/\/jaeger:9411' is not a fully qualified Service name/);
  });

  test('fails when the tracing provider shadows a built-in provider', () => {
    const c = chart();
    expect(
      () =>
        new Istiod(c, 'istiod', {
          base: new IstioBase(c, 'base'),
          tracing: { name: 'prometheus', protocol: TracingProtocol.OPENTELEMETRY, service: 'otel.tracing.svc.cluster.local', port: 4317 },
        }),
    ).toThrow(
      "Istiod test/istiod: tracing provider name 'prometheus' is one of Istio's built-in providers (prometheus, stackdriver, envoy); name the collector, e.g. 'jaeger' or 'otel'",
    );
  });

  test('fails when the access log file is not a path', () => {
    const c = chart();
    expect(() => new Istiod(c, 'istiod', { base: new IstioBase(c, 'base'), accessLogFile: 'stdout' })).toThrow(
      /accessLogFile 'stdout' is not an absolute path; use '\/dev\/stdout'/,
    );
  });
});

describe('Istio charts', () => {
  const scaling = { replicas: 1, podDisruptionBudget: false };

  test('base (and CNI) in the infrastructure layer, istiod and gateways in the mesh layer', () => {
    const app = Testing.app();
    const base = new IstioBaseChart(app, 'istio-base', { profile: IstioProfile.DEFAULT, cni: true });
    const cp = new IstioControlPlaneChart(app, 'istio-control-plane', {
      base: base.base,
      profile: IstioProfile.DEFAULT,
      cni: true,
      outboundTrafficPolicy: MeshOutboundTrafficMode.REGISTRY_ONLY,
      istiod: scaling,
      ingressGateway: { ...scaling, serviceType: GatewayServiceType.LOAD_BALANCER },
      egressGateway: scaling,
      highAvailability: false,
    });
    expect(base.layer).toBe('infrastructure');
    expect(cp.layer).toBe('mesh');
    expect(
      Testing.synth(base)
        .filter((o) => o.kind === 'HelmRelease')
        .map((o) => o.metadata.name),
    ).toEqual(['istio-base', 'istio-cni']);
    expect(
      Testing.synth(cp)
        .filter((o) => o.kind === 'HelmRelease')
        .map((o) => o.metadata.name),
    ).toEqual(['istiod', 'istio-ingressgateway', 'istio-egressgateway']);
  });

  test('fails when production istiod is not highly available', () => {
    const app = Testing.app();
    const base = new IstioBaseChart(app, 'istio-base', { profile: IstioProfile.DEFAULT, cni: false });
    expect(
      () =>
        new IstioControlPlaneChart(app, 'istio-control-plane', {
          base: base.base,
          profile: IstioProfile.DEFAULT,
          cni: false,
          outboundTrafficPolicy: MeshOutboundTrafficMode.REGISTRY_ONLY,
          istiod: scaling,
          ingressGateway: { ...scaling, serviceType: GatewayServiceType.LOAD_BALANCER },
          highAvailability: true,
        }),
    ).toThrow(
      /IstioControlPlaneChart istio-control-plane: istiod must be highly available in production .* got 1 fixed replica\(s\), no PodDisruptionBudget; set mesh:istio.install.istiod.autoscaling.minReplicas: 2/,
    );
  });
});
