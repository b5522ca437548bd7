import { Chart, Testing } from 'cdk8s';
import {
  GatewayDirection,
  CERT_MANAGER_DEFAULT_RESOURCES,
  CertManager,
  IstioBase,
  IstioCni,
  IstioGateway,
  Istiod,
  ObservabilityStack,
} from '../../../constructs';
import { parseEnvironment, presets } from '../../../stacks/environments';
import { istioChartValues } from '../../support/istio-chart-model';

function chart(): Chart {
  return new Chart(Testing.app(), 'test');
}

const small = { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } };

describe('requests and limits of the Istio components (issue 15 item 3)', () => {
  test('the sidecar proxies are sized through global.proxy.resources, istiod through pilot.resources: what the chart reads', () => {
    const c = chart();
    const base = new IstioBase(c, 'base');
    const istiod = new Istiod(c, 'istiod', {
      base,
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      proxyResources: small,
    });
    expect(istiod.values).toMatchObject({
      global: { proxy: { resources: small } },
      pilot: { resources: { requests: { cpu: '100m', memory: '256Mi' } } },
    });
    // After the chart's zzy_descope_legacy (pilot.* -> .*) and zzz_profile merges: the Deployment's resources and the injector's.
    const effective = istioChartValues('istiod', '1.30.3', istiod.values) as any;
    expect(effective.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    expect(effective.global.proxy.resources).toEqual(small);
  });

  test('left out, the charts keep their own defaults (nothing is written)', () => {
    const c = chart();
    const base = new IstioBase(c, 'base');
    const istiod = new Istiod(c, 'istiod', { base });
    const gateway = new IstioGateway(c, 'gw', { istiod, direction: GatewayDirection.INGRESS });
    const cni = new IstioCni(c, 'cni', { base });
    expect(istiod.values).not.toHaveProperty('global.proxy');
    expect(istiod.values).not.toHaveProperty('pilot.resources');
    expect(gateway.values).not.toHaveProperty('resources');
    expect(cni.values).not.toHaveProperty('resources');
  });

  test('fails when a request is above its limit or a quantity is none, naming the prop', () => {
    const c = chart();
    const base = new IstioBase(c, 'base');
    expect(
      () => new Istiod(c, 'a', { base, proxyResources: { requests: { cpu: '2', memory: '64Mi' }, limits: { cpu: '1', memory: '1Gi' } } }),
    ).toThrow(/Istiod test\/a: proxyResources: the cpu request 2 exceeds its limit 1; raise the limit or lower the request/);
    expect(() => new Istiod(c, 'b', { base, resources: { requests: { memory: '1GB ' } } })).toThrow(
      /Istiod test\/b: resources.requests.memory '1GB ' is not a Kubernetes quantity/,
    );
    const istiod = new Istiod(c, 'ok', { base });
    expect(
      () =>
        new IstioGateway(c, 'gw', {
          istiod,
          direction: GatewayDirection.INGRESS,
          resources: { requests: { cpu: '10m', memory: '2Gi' }, limits: { cpu: '1', memory: '1Gi' } },
        }),
    ).toThrow(/IstioGateway test\/gw: resources: the memory request 2Gi exceeds its limit 1Gi/);
    expect(() => new IstioCni(c, 'cni', { base, resources: { requests: { cpu: '0' } } })).toThrow(
      /IstioCni test\/cni: resources.requests.cpu '0' must be positive/,
    );
  });

  test('every tier sets the proxies and the gateways; development is small, production keeps Istio defaults', () => {
    const dev = parseEnvironment('dev', {}, 'Pulumi.dev.yaml').istio.install;
    expect(dev.proxy.resources.requests).toEqual({ cpu: '10m', memory: '64Mi' });
    expect(dev.istiod.resources!.requests).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(dev.ingressGateway.resources.requests).toEqual({ cpu: '20m', memory: '64Mi' });
    const prod = presets.production.istio.install;
    expect(prod.proxy.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } });
    // istiod: the chart's 500m/2Gi, no limits (its autoscaler's CPU target is relative to the request).
    expect(prod.istiod.resources).toBeUndefined();
  });

  test('an environment file overrides them key by key; a request above its limit names the key', () => {
    const env = parseEnvironment(
      'dev',
      {
        'mesh:istio': {
          install: { proxy: { resources: { requests: { cpu: '20m', memory: '48Mi' }, limits: { cpu: 1, memory: '256Mi' } } } },
        },
      },
      'Pulumi.dev.yaml',
    );
    expect(env.istio.install.proxy.resources).toEqual({ requests: { cpu: '20m', memory: '48Mi' }, limits: { cpu: '1', memory: '256Mi' } });
    expect(() =>
      parseEnvironment(
        'dev',
        {
          'mesh:istio': {
            install: { istiod: { resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } } },
          },
        },
        'Pulumi.dev.yaml',
      ),
    ).toThrow(/Pulumi.dev.yaml: mesh:istio.install.istiod.resources: .*CPU request 2 exceeds its limit 1/);
  });
});

describe('requests and limits of cert-manager and the observability stack', () => {
  test('cert-manager: the controller, the webhook, the CA injector and the startup check each get requests and limits', () => {
    const cm = new CertManager(chart(), 'cert-manager');
    expect(cm.values).toMatchObject({
      resources: CERT_MANAGER_DEFAULT_RESOURCES.controller,
      webhook: { resources: CERT_MANAGER_DEFAULT_RESOURCES.webhook },
      cainjector: { resources: CERT_MANAGER_DEFAULT_RESOURCES.cainjector },
      startupapicheck: { resources: CERT_MANAGER_DEFAULT_RESOURCES.startupApiCheck },
    });
    const custom = new CertManager(chart(), 'custom', { resources: { webhook: small } });
    expect(custom.values).toMatchObject({ webhook: { resources: small }, resources: CERT_MANAGER_DEFAULT_RESOURCES.controller });
    expect(
      () =>
        new CertManager(chart(), 'bad', {
          resources: { cainjector: { requests: { cpu: '1', memory: '64Mi' }, limits: { cpu: '500m', memory: '1Gi' } } },
        }),
    ).toThrow(/CertManager test\/bad: resources.cainjector: the cpu request 1 exceeds its limit 500m/);
  });

  test("Alertmanager, the Prometheus config reloader and Grafana's dashboard download have requests", () => {
    const stack = new ObservabilityStack(chart(), 'obs', { alerting: { alertmanagerResources: small } });
    expect(stack.prometheus.values).toMatchObject({
      configmapReload: { prometheus: { resources: { requests: { cpu: '10m', memory: '32Mi' } } } },
      alertmanager: { resources: small },
    });
    expect(stack.grafana.values).toMatchObject({ downloadDashboards: { resources: { requests: { cpu: '10m', memory: '32Mi' } } } });
    expect(
      () =>
        new ObservabilityStack(chart(), 'bad', {
          prometheus: { configReloaderResources: { requests: { cpu: '1', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } } },
        }),
    ).toThrow(/prometheus.configReloaderResources: CPU request 1 exceeds its limit 100m/);
  });
});

describe('mesh:observability sizes Alertmanager, Grafana, Jaeger and Kiali', () => {
  test('every tier gives each of them requests; an environment file overrides one, which reaches its chart', () => {
    for (const tier of ['development', 'staging', 'production'] as const) {
      const o = presets[tier].observability;
      for (const r of [o.alertmanager.resources, o.grafana.resources, o.jaeger.resources, o.kiali.resources]) {
        expect(r.requests.cpu).toBeTruthy();
        expect(r.requests.memory).toBeTruthy();
      }
    }
    const { buildPlatform } = require('../../../stacks/composition/platform') as typeof import('../../../stacks/composition/platform');
    const { HelmComponent } = require('../../../constructs') as typeof import('../../../constructs');
    const env = parseEnvironment('dev', { 'mesh:observability': { jaeger: { resources: small } } }, 'Pulumi.dev.yaml');
    const jaeger = buildPlatform(env)
      .node.findAll()
      .find((c): c is InstanceType<typeof HelmComponent> => c instanceof HelmComponent && c.chart === 'jaeger')!;
    expect(jaeger.values).toMatchObject({ jaeger: { resources: small } });
  });
});
