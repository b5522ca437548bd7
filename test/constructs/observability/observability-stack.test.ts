import { PRODUCTION_REQUIRED } from '../../support/production';
import { Chart, Duration, Testing } from 'cdk8s';
import { MeshConfigChart, ObservabilityChart, ObservabilityChartProps } from '../../../charts';
import {
  AlertSeverity,
  MtlsMode,
  TracingProtocol,
  AlertReceiver,
  AlertRule,
  FLAGGER_CANARY_DASHBOARD,
  GrafanaDashboard,
  ISTIO_DASHBOARDS,
  JAEGER_TRACING_PROVIDER,
  jaegerTracingProvider,
  KialiAuth,
  MeshValidationError,
  OBSERVABILITY_CHARTS,
  ObservabilityStack,
  ObservabilityStackProps,
  prometheusIdentity,
  prometheusUrl,
} from '../../../constructs';
import { listEnvironmentFiles, loadEnvironmentFile, parseEnvironment } from '../../../stacks/environments';
import { observabilityPresets } from '../../../stacks/environments/observability';
import { buildPlatform } from '../../../stacks/composition/platform';
import { KubeObject, renderCharts } from '../../../stacks/engines/render';
import { configProblems } from '../../support/config-problems';
import { REPO_ROOT } from '../../support/shared-dir';

type Obj = Record<string, any>;

/** The stack alone in a plain chart (how a team that already runs Istio uses it), synthesized. */
function synthStack(props: ObservabilityStackProps = {}): { stack: ObservabilityStack; objects: Obj[] } {
  const chart = Testing.chart();
  const stack = new ObservabilityStack(chart, 'obs', props);
  return { stack, objects: Testing.synth(chart) };
}

function release(objects: readonly Obj[], name: string): Obj {
  const found = objects.find((o) => o.kind === 'HelmRelease' && o.metadata.name === name);
  if (!found) throw new Error(`no HelmRelease ${name}`);
  return found;
}

/** The Services the charts will create, derived from the releases' own naming values (what the test follows). */
const declared = {
  prometheus: (r: Obj) =>
    `http://${r.spec.values.server.fullnameOverride}.${r.spec.targetNamespace}.svc.cluster.local:${r.spec.values.server.service.servicePort}`,
  grafana: (r: Obj) => `http://${r.spec.values.fullnameOverride}.${r.spec.targetNamespace}.svc.cluster.local:${r.spec.values.service.port}`,
  jaegerQuery: (r: Obj) =>
    `http://${r.spec.values.fullnameOverride}.${r.spec.targetNamespace}.svc.cluster.local:${portOf(r.spec.values.userconfig.extensions.jaeger_query.http.endpoint)}`,
  kiali: (r: Obj) =>
    `http://${r.spec.values.deployment.instance_name}.${r.spec.targetNamespace}.svc.cluster.local:${r.spec.values.server.port}${r.spec.values.server.web_root}`,
  jaegerOtlp: (r: Obj) => ({
    service: `${r.spec.values.fullnameOverride}.${r.spec.targetNamespace}.svc.cluster.local`,
    port: portOf(r.spec.values.userconfig.receivers.otlp.protocols.grpc.endpoint),
  }),
};

function portOf(endpoint: string): number {
  return Number(endpoint.split(':').pop());
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof MeshValidationError) return e.message;
    throw e;
  }
  throw new Error('expected a MeshValidationError');
}

describe('ObservabilityStack alone', () => {
  test('installs the four pinned charts into its namespace, which is declared without sidecar injection', () => {
    const { objects } = synthStack();
    for (const [id, pinned] of Object.entries(OBSERVABILITY_CHARTS)) {
      expect(release(objects, id)).toMatchObject({
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        metadata: { namespace: 'flux-system' },
        spec: {
          targetNamespace: 'observability',
          chart: {
            spec: { chart: pinned.chart, version: pinned.version, sourceRef: { kind: 'HelmRepository', name: pinned.repository.name } },
          },
        },
      });
      expect(pinned.version).toMatch(/^\d+\.\d+\.\d+$/);
      const repo = objects.find((o) => o.kind === 'HelmRepository' && o.metadata.name === pinned.repository.name);
      expect(repo?.spec.url).toBe(pinned.repository.url);
    }
    const ns = objects.find((o) => o.kind === 'Namespace');
    expect(ns).toMatchObject({ metadata: { name: 'observability', labels: { 'istio-injection': 'disabled' } } });
    expect(ns?.metadata.namespace).toBeUndefined();
  });

  test('follows the addresses: Kiali and Grafana use the Services the Prometheus, Grafana and Jaeger releases declare', () => {
    const { stack, objects } = synthStack({ namespace: 'telemetry' });
    const prometheus = release(objects, 'prometheus');
    const grafana = release(objects, 'grafana');
    const jaeger = release(objects, 'jaeger');
    const kiali = release(objects, 'kiali').spec.values;

    const promUrl = declared.prometheus(prometheus);
    expect(promUrl).toBe('http://prometheus-server.telemetry.svc.cluster.local:80');
    expect(stack.prometheusUrl).toBe(promUrl);
    expect(prometheusUrl('telemetry')).toBe(promUrl);
    expect(kiali.external_services.prometheus.url).toBe(promUrl);
    const datasources = grafana.spec.values.datasources['datasources.yaml'].datasources;
    expect(datasources).toEqual([
      expect.objectContaining({ name: 'Prometheus', type: 'prometheus', url: promUrl, isDefault: true }),
      expect.objectContaining({ name: 'Jaeger', type: 'jaeger', url: declared.jaegerQuery(jaeger) }),
    ]);

    expect(kiali.external_services.grafana).toMatchObject({ enabled: true, internal_url: declared.grafana(grafana) });
    expect(kiali.external_services.tracing).toMatchObject({
      enabled: true,
      provider: 'jaeger',
      internal_url: declared.jaegerQuery(jaeger),
      use_grpc: false,
    });
    // Kiali discovers istiod and its root namespace itself: istio_namespace and external_services.istio.root_namespace are no server keys.
    expect(kiali.istio_namespace).toBeUndefined();
    expect(kiali.external_services.istio).toBeUndefined();
    // Kiali's own address: the chart's web root is pinned (its default differs between Kubernetes and OpenShift).
    expect(stack.kialiUrl).toBe(declared.kiali(release(objects, 'kiali')));
    expect(stack.kialiUrl).toBe('http://kiali.telemetry.svc.cluster.local:20001/kiali');

    // The proxies' spans: the provider Istio declares points at the OTLP receiver the Jaeger release listens on.
    expect(stack.tracingProvider).toEqual({
      name: JAEGER_TRACING_PROVIDER,
      protocol: TracingProtocol.OPENTELEMETRY,
      ...declared.jaegerOtlp(jaeger),
    });
    expect(jaegerTracingProvider('telemetry')).toEqual(stack.tracingProvider);
    expect(jaeger.spec.values.userconfig.service.pipelines.traces.receivers).toContain('otlp');
  });

  test('Prometheus scrapes istiod (port http-monitoring) besides the annotated pods; its identity is pinned', () => {
    const { stack, objects } = synthStack();
    const values = release(objects, 'prometheus').spec.values;
    expect(values.extraScrapeConfigs).toContain('job_name: istiod');
    expect(values.extraScrapeConfigs).toContain('regex: istiod;http-monitoring');
    expect(values.extraScrapeConfigs).toMatch(/names:\s*\n\s*- istio-system/);
    expect(values.serviceAccounts.server.name).toBe(stack.prometheusIdentity.serviceAccount);
    expect(prometheusIdentity()).toEqual({
      namespace: 'observability',
      serviceAccount: 'prometheus-server',
      podLabels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' },
    });
    expect(values.server.global).toEqual({ scrape_interval: '15s', evaluation_interval: '15s' });
  });

  test('defaults: no persistence, 15 days, token login for Kiali, no notification receiver', () => {
    const { objects } = synthStack();
    const prom = release(objects, 'prometheus').spec.values;
    expect(prom.server).toMatchObject({
      retention: '15d',
      persistentVolume: { enabled: false },
      replicaCount: 1,
      // One kind for every replica count (issue 14 item 9): 1 -> 2 replicas keeps the volumes and the metric history.
      statefulSet: { enabled: true },
    });
    expect(prom.server.retentionSize).toBeUndefined();
    expect(prom.server.podAntiAffinity).toBeUndefined();
    expect(prom.alertmanager.podAntiAffinity).toBeUndefined();
    expect(prom.alertmanager.config.receivers).toEqual([{ name: 'platform' }]);
    expect(prom.alertmanager.extraSecretMounts).toEqual([]);
    expect(release(objects, 'kiali').spec.values.auth).toEqual({ strategy: 'token' });
  });

  test('persistence: a PVC of the given size, retention by size capped at 90 %, a StatefulSet at any replica count', () => {
    const { objects } = synthStack({
      prometheus: { storageSize: '100Gi', storageClass: 'fast', replicas: 2, retention: Duration.days(30) },
    });
    expect(release(objects, 'prometheus').spec.values.server).toMatchObject({
      retention: '30d',
      retentionSize: '90GB',
      persistentVolume: { enabled: true, size: '100Gi', storageClass: 'fast' },
      replicaCount: 2,
      statefulSet: { enabled: true },
    });
  });

  test('Grafana: admin credentials from a Secret reference only; Istio and Flagger dashboards by pinned source', () => {
    const { objects } = synthStack({ grafana: { adminSecret: { name: 'ops-grafana', passwordKey: 'pw' } } });
    const values = release(objects, 'grafana').spec.values;
    expect(values.admin).toEqual({ existingSecret: 'ops-grafana', userKey: 'admin-user', passwordKey: 'pw' });
    expect(values.adminPassword).toBeUndefined();
    expect(JSON.stringify(values)).not.toMatch(/adminPassword|password":"(?!pw)/);
    expect(values.dashboards.istio).toEqual({
      'istio-mesh': { gnetId: 7639, revision: 202, datasource: 'Prometheus' },
      'istio-service': { gnetId: 7636, revision: 202, datasource: 'Prometheus' },
      'istio-workload': { gnetId: 7630, revision: 202, datasource: 'Prometheus' },
      'istio-performance': { gnetId: 11829, revision: 202, datasource: 'Prometheus' },
      'istio-control-plane': { gnetId: 7645, revision: 202, datasource: 'Prometheus' },
    });
    expect(values.dashboards.flagger['flagger-canary'].url).toMatch(/^https:\/\/raw\.githubusercontent\.com\/fluxcd\/flagger\/v1\.44\.0\//);
    // Each folder has its file provider, whose path is where the chart writes that folder's dashboards.
    expect(values.dashboardProviders['dashboardproviders.yaml'].providers.map((p: Obj) => [p.folder, p.options.path])).toEqual([
      ['istio', '/var/lib/grafana/dashboards/istio'],
      ['flagger', '/var/lib/grafana/dashboards/flagger'],
    ]);
    // Kiali reads Grafana with the same Secret, by reference.
    expect(release(objects, 'kiali').spec.values.external_services.grafana.auth).toEqual({
      type: 'basic',
      username: 'secret:ops-grafana:admin-user',
      password: 'secret:ops-grafana:pw',
    });
  });

  test('addDashboard adds a folder provider once and returns the entry', () => {
    const chart = Testing.chart();
    const stack = new ObservabilityStack(chart, 'obs');
    const entry = stack.addDashboard(GrafanaDashboard.fromGrafanaCom({ name: 'wasm', gnetId: 13277, revision: 202, folder: 'istio' }));
    expect(entry).toEqual({ gnetId: 13277, revision: 202, datasource: 'Prometheus' });
    const values = release(Testing.synth(chart), 'grafana').spec.values;
    expect(values.dashboards.istio.wasm).toEqual(entry);
    expect(values.dashboardProviders['dashboardproviders.yaml'].providers).toHaveLength(2);
  });

  test('Kiali auth: anonymous, token, or OpenID with issuer and client', () => {
    const anonymous = synthStack({ kiali: { auth: KialiAuth.anonymous() } }).objects;
    expect(release(anonymous, 'kiali').spec.values.auth).toEqual({ strategy: 'anonymous' });
    const oidc = synthStack({
      kiali: { auth: KialiAuth.openId({ issuerUri: 'https://sso.example.com/realms/mesh', clientId: 'kiali' }) },
    }).objects;
    expect(release(oidc, 'kiali').spec.values.auth).toEqual({
      strategy: 'openid',
      openid: { issuer_uri: 'https://sso.example.com/realms/mesh', client_id: 'kiali' },
    });
  });

  test('the mesh Telemetry, when asked for, samples into the jaeger provider', () => {
    const { stack, objects } = synthStack({ meshTelemetry: { samplingPercentage: 5, accessLogging: false } });
    const telemetry = objects.find((o) => o.kind === 'Telemetry');
    expect(telemetry).toMatchObject({
      apiVersion: 'telemetry.istio.io/v1',
      metadata: { name: 'mesh-default', namespace: 'istio-system' },
      spec: {
        tracing: [{ providers: [{ name: stack.tracingProvider.name }], randomSamplingPercentage: 5 }],
        accessLogging: [{ disabled: true }],
      },
    });
    expect(synthStack().objects.some((o) => o.kind === 'Telemetry')).toBe(false);
  });
});

describe('alert rules', () => {
  function rules(props: ObservabilityStackProps = {}): Record<string, Obj> {
    const values = release(synthStack(props).objects, 'prometheus').spec.values;
    const [group] = values.serverFiles['alerting_rules.yml'].groups;
    return Object.fromEntries(group.rules.map((r: Obj) => [r.alert, r]));
  }

  test('P99 latency above 200 ms per service (scenario S8), from the server-side histogram', () => {
    expect(rules().IstioServiceP99LatencyHigh).toEqual({
      alert: 'IstioServiceP99LatencyHigh',
      expr: 'histogram_quantile(0.99, sum by (destination_service_namespace, destination_service_name, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination"}[5m]))) > 200',
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: expect.stringContaining('threshold 200 ms') },
    });
  });

  test('5xx ratio above 1 % per service', () => {
    const rule = rules().IstioService5xxRatioHigh;
    expect(rule.expr).toBe(
      'sum by (destination_service_namespace, destination_service_name) (rate(istio_requests_total{reporter="destination", response_code=~"5.."}[5m]))' +
        ' / sum by (destination_service_namespace, destination_service_name) (rate(istio_requests_total{reporter="destination"}[5m])) > 0.01',
    );
    expect(rule).toMatchObject({ for: '5m', labels: { severity: 'critical' } });
  });

  test('a failed canary, istiod down, the injection webhook failing', () => {
    const r = rules();
    expect(r.FlaggerCanaryFailed).toMatchObject({ expr: 'flagger_canary_status > 1', for: '1m' });
    expect(r.IstiodDown).toMatchObject({ expr: 'absent(up{job="istiod"} == 1)', for: '2m', labels: { severity: 'critical' } });
    // Failed injections that istiod counts, or a webhook the API server cannot reach (istiod never sees those calls).
    expect(r.SidecarInjectionFailing).toMatchObject({
      expr:
        'sum(rate(sidecar_injection_failure_total[5m])) > 0 or ' +
        'sum(rate(apiserver_admission_webhook_rejection_count{name=~".*sidecar-injector\\\\.istio\\\\.io", error_type="calling_webhook_error"}[5m])) > 0',
      for: '5m',
      labels: { severity: 'critical' },
    });
    // The istiod job the rule watches is the one Prometheus is configured with.
    expect(release(synthStack().objects, 'prometheus').spec.values.extraScrapeConfigs).toContain('job_name: istiod');
  });

  test('thresholds follow the options', () => {
    const r = rules({ alerting: { latencyThreshold: Duration.millis(350), errorRatioThreshold: 0.05 } });
    expect(r.IstioServiceP99LatencyHigh.expr).toMatch(/\) > 350$/);
    expect(r.IstioService5xxRatioHigh.expr).toMatch(/\) > 0\.05$/);
  });

  test('addAlertRule appends a rule and returns it as rendered', () => {
    const chart = Testing.chart();
    const stack = new ObservabilityStack(chart, 'obs');
    const rendered = stack.addAlertRule(
      new AlertRule({ name: 'CheckoutSlow', expr: 'x > 1', for: Duration.seconds(90), severity: AlertSeverity.INFO, summary: 's' }),
    );
    expect(rendered).toEqual({
      alert: 'CheckoutSlow',
      expr: 'x > 1',
      for: '90s',
      labels: { severity: 'info' },
      annotations: { summary: 's' },
    });
    expect(stack.alertRules.map((r) => r.alert)).toEqual([
      'IstioServiceP99LatencyHigh',
      'IstioService5xxRatioHigh',
      'FlaggerCanaryFailed',
      'IstiodDown',
      'SidecarInjectionFailing',
      'CheckoutSlow',
    ]);
    const group = release(Testing.synth(chart), 'prometheus').spec.values.serverFiles['alerting_rules.yml'].groups[0];
    expect(group.rules.at(-1)).toEqual(rendered);
  });

  test('routed to Slack with the webhook URL read from the mounted Secret', () => {
    const values = release(
      synthStack({ alerting: { receiver: AlertReceiver.slack({ webhookSecret: { name: 'am-slack', key: 'url' }, channel: '#mesh' }) } })
        .objects,
      'prometheus',
    ).spec.values;
    const am = values.alertmanager;
    // optional: chat alerts never keep Alertmanager (and the layer) from starting.
    expect(am.extraSecretMounts).toEqual([
      { name: 'alert-webhook', secretName: 'am-slack', mountPath: '/etc/alertmanager/secrets/am-slack', readOnly: true, optional: true },
    ]);
    expect(am.config.route.receiver).toBe('platform');
    expect(am.config.receivers).toEqual([
      {
        name: 'platform',
        slack_configs: [{ api_url_file: '/etc/alertmanager/secrets/am-slack/url', channel: '#mesh', send_resolved: true }],
      },
    ]);
    expect(am.config.receivers[0].slack_configs[0].api_url_file.startsWith(am.extraSecretMounts[0].mountPath + '/')).toBe(true);
    expect(JSON.stringify(am)).not.toContain('hooks.slack.com');
  });

  test('routed to Teams (Workflows webhook) the same way', () => {
    const am = release(
      synthStack({ alerting: { receiver: AlertReceiver.teams({ webhookSecret: { name: 'am-teams', key: 'webhook' } }) } }).objects,
      'prometheus',
    ).spec.values.alertmanager;
    expect(am.config.receivers).toEqual([
      { name: 'platform', msteamsv2_configs: [{ webhook_url_file: '/etc/alertmanager/secrets/am-teams/webhook', send_resolved: true }] },
    ]);
  });
});

describe('Kiali links: browsers follow external URLs, Kiali queries in-cluster', () => {
  test('without external URLs Kiali gets no link addresses (an in-cluster URL is no link a browser can open)', () => {
    const kiali = release(synthStack().objects, 'kiali').spec.values.external_services;
    expect(kiali.grafana.internal_url).toBe('http://grafana.observability.svc.cluster.local:80');
    expect(kiali.grafana).not.toHaveProperty('external_url');
    expect(kiali.tracing.internal_url).toBe('http://jaeger.observability.svc.cluster.local:16686');
    expect(kiali.tracing).not.toHaveProperty('external_url');
  });

  test('external URLs become the links; the internal URLs stay the in-cluster Services', () => {
    const { objects } = synthStack({
      grafana: { externalUrl: 'https://grafana.example.com' },
      jaeger: { externalUrl: 'https://jaeger.example.com' },
    });
    expect(release(objects, 'kiali').spec.values.external_services).toMatchObject({
      grafana: { internal_url: 'http://grafana.observability.svc.cluster.local:80', external_url: 'https://grafana.example.com' },
      tracing: { internal_url: 'http://jaeger.observability.svc.cluster.local:16686', external_url: 'https://jaeger.example.com' },
    });
  });

  test('mesh:observability.grafana.externalUrl and jaeger.externalUrl reach Kiali in the platform', () => {
    const config = parseEnvironment(
      'dev',
      { 'mesh:observability': { grafana: { externalUrl: 'http://localhost:3000' }, jaeger: { externalUrl: 'http://localhost:16686' } } },
      'Pulumi.dev.yaml',
    );
    const kiali = renderCharts(buildPlatform(config))
      .flatMap((c) => c.objects)
      .find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'kiali') as Obj;
    expect(kiali.spec.values.external_services.grafana.external_url).toBe('http://localhost:3000');
    expect(kiali.spec.values.external_services.tracing.external_url).toBe('http://localhost:16686');
  });
});

describe('the platform in each environment', () => {
  const root = REPO_ROOT;
  const envs = Object.fromEntries(
    listEnvironmentFiles(root)
      .map(loadEnvironmentFile)
      .map((c) => [c.name, c]),
  );

  function platform(name: string, config = envs[name]): Obj[] {
    const charts = renderCharts(buildPlatform(config));
    return charts.flatMap((c) => c.objects.map((o: KubeObject) => ({ ...o, layer: c.layer, chart: c.id })));
  }

  test.each(['dev', 'staging', 'prod'])(
    '%s: every component present in layer platform and wired to the others; Telemetry points at its Jaeger',
    (name) => {
      const objects = platform(name);
      const ns = envs[name].observability.namespace;
      for (const id of ['prometheus', 'grafana', 'jaeger', 'kiali'])
        expect(release(objects, id)).toMatchObject({ layer: 'platform', chart: 'observability', spec: { targetNamespace: ns } });
      const prom = declared.prometheus(release(objects, 'prometheus'));
      expect(release(objects, 'kiali').spec.values.external_services.prometheus.url).toBe(prom);
      expect(release(objects, 'grafana').spec.values.datasources['datasources.yaml'].datasources[0].url).toBe(prom);
      expect(release(objects, 'kiali').spec.values.external_services.tracing.internal_url).toBe(
        declared.jaegerQuery(release(objects, 'jaeger')),
      );
      // The provider istiod declares (meshConfig.extensionProviders) is the OTLP receiver the Jaeger release listens on.
      const providers = release(objects, 'istiod').spec.values.meshConfig.extensionProviders;
      expect(providers).toContainEqual({ name: JAEGER_TRACING_PROVIDER, opentelemetry: declared.jaegerOtlp(release(objects, 'jaeger')) });
      const telemetry = objects.find((o) => o.kind === 'Telemetry' && o.metadata.name === 'mesh-default');
      expect(telemetry).toMatchObject({
        layer: 'mesh',
        spec: { tracing: [{ providers: [{ name: JAEGER_TRACING_PROVIDER }], randomSamplingPercentage: envs[name].istio.tracingSampling }] },
      });
    },
  );

  test('dev is laptop-sized; prod is persistent, replicated, behind a login and routed to Slack', () => {
    const dev = platform('dev');
    const prod = platform('prod');
    expect(release(dev, 'prometheus').spec.values.server).toMatchObject({
      persistentVolume: { enabled: false },
      replicaCount: 1,
      retention: '6h',
    });
    expect(release(dev, 'kiali').spec.values.auth.strategy).toBe('anonymous');
    expect(release(dev, 'prometheus').spec.values.alertmanager.config.receivers).toEqual([{ name: 'platform' }]);
    expect(release(prod, 'prometheus').spec.values.server).toMatchObject({
      persistentVolume: { enabled: true, size: '100Gi' },
      replicaCount: 2,
      statefulSet: { enabled: true },
      podAntiAffinity: 'soft',
      retention: '15d',
    });
    expect(release(prod, 'prometheus').spec.values.alertmanager).toMatchObject({
      replicaCount: 2,
      podAntiAffinity: 'soft',
      persistence: { enabled: true, size: '1Gi' },
    });
    expect(release(prod, 'kiali').spec.values.auth.strategy).toBe('token');
    expect(release(prod, 'prometheus').spec.values.alertmanager.config.receivers[0].slack_configs[0].api_url_file).toBe(
      '/etc/alertmanager/secrets/alertmanager-webhook/url',
    );
    expect(release(dev, 'jaeger').spec.values.userconfig.extensions.jaeger_storage.backends.memstore.memory.max_traces).toBeLessThan(
      release(prod, 'jaeger').spec.values.userconfig.extensions.jaeger_storage.backends.memstore.memory.max_traces,
    );
  });

  test('the mesh Telemetry follows mesh:istio.install.tracing when it names another collector', () => {
    const otel = { name: 'otel', protocol: 'opentelemetry' as const, service: 'otel-collector.tracing.svc.cluster.local', port: 4317 };
    const config = { ...envs.dev, istio: { ...envs.dev.istio, install: { ...envs.dev.istio.install, tracing: otel } } };
    const objects = platform('dev', config);
    expect(release(objects, 'istiod').spec.values.meshConfig.defaultProviders).toEqual({ metrics: ['prometheus'], tracing: ['otel'] });
    expect(objects.find((o) => o.kind === 'Telemetry')?.spec.tracing).toEqual([
      { providers: [{ name: 'otel' }], randomSamplingPercentage: 100 },
    ]);
  });

  test('the mesh Telemetry of MeshConfigChart names the stack provider by default', () => {
    const app = Testing.app();
    const chart = new MeshConfigChart(app, 'mesh-config', { mtls: MtlsMode.STRICT, tracingSampling: 1, accessLogging: false });
    expect(Testing.synth(chart).find((o) => o.kind === 'Telemetry')?.spec.tracing).toEqual([
      { providers: [{ name: 'jaeger' }], randomSamplingPercentage: 1 },
    ]);
  });
});

describe('validation', () => {
  const receiver = (name: string, key: string, channel?: string) => ({
    alerting: { receiver: AlertReceiver.slack({ webhookSecret: { name, key }, channel }) },
  });

  test.each<[string, ObservabilityStackProps, RegExp]>([
    ['the namespace is not a DNS label', { namespace: 'Obs' }, /namespace 'Obs' is not a DNS-1123 label; use e.g. 'observability'/],
    ['the Istio namespace is not a DNS label', { istioNamespace: 'istio_system' }, /istioNamespace 'istio_system' is not a DNS-1123 label/],
    [
      'retention is shorter than one TSDB block',
      { prometheus: { retention: Duration.minutes(30) } },
      /prometheus.retention 30m is shorter than one TSDB block \(2h\); use at least Duration.hours\(2\)/,
    ],
    [
      'Prometheus replicas are out of range',
      { prometheus: { replicas: 0 } },
      /prometheus.replicas 0 is not allowed; use an integer from 1 to 5/,
    ],
    [
      'the storage size is not Gi or Ti',
      { prometheus: { storageSize: '500Mi' } },
      /prometheus.storageSize '500Mi' is not a volume size in Gi or Ti; use e.g. '50Gi'/,
    ],
    [
      'the Alertmanager storage size is not Gi or Ti',
      { alerting: { alertmanagerStorageSize: '1G' } },
      /alerting.alertmanagerStorageSize '1G' is not a volume size/,
    ],
    ['Alertmanager replicas are out of range', { alerting: { alertmanagerReplicas: 7 } }, /alerting.alertmanagerReplicas 7 is not allowed/],
    [
      'the webhook Secret name is not a DNS label',
      receiver('Slack_Hook', 'url'),
      /alert webhook Secret name 'Slack_Hook' is not a DNS-1123 label/,
    ],
    ['the webhook Secret key is not a Secret key', receiver('slack', 'a/b'), /alert webhook Secret key 'a\/b' is not a valid Secret key/],
    [
      'the Slack channel is not a channel',
      receiver('slack', 'url', 'Mesh Alerts'),
      /Slack channel 'Mesh Alerts' is not a channel name; use e.g. '#mesh-alerts'/,
    ],
    [
      'the latency threshold is not positive',
      { alerting: { latencyThreshold: Duration.millis(0) } },
      /alerting.latencyThreshold must be positive, got 0 ms/,
    ],
    [
      'the error ratio is not between 0 and 1',
      { alerting: { errorRatioThreshold: 1 } },
      /alerting.errorRatioThreshold 1 is not a ratio between 0 and 1 exclusive; use e.g. 0.01/,
    ],
    ['Jaeger keeps too few traces', { jaeger: { maxTraces: 10 } }, /jaeger.maxTraces 10 must be an integer of at least 1000/],
    [
      'the Jaeger external URL is not http(s)',
      { jaeger: { externalUrl: 'jaeger.example.com' } },
      /jaeger.externalUrl 'jaeger.example.com' is not an http\(s\):\/\/ URL/,
    ],
    [
      'the Grafana admin Secret is not a DNS label',
      { grafana: { adminSecret: { name: 'Grafana' } } },
      /grafana.adminSecret name 'Grafana' is not a DNS-1123 label/,
    ],
    [
      'a Grafana admin Secret key is not a Secret key',
      { grafana: { adminSecret: { name: 'g', userKey: 'u:s' } } },
      /grafana.adminSecret key 'u:s' is not a valid Secret key/,
    ],
    [
      'the Grafana external URL is not http(s)',
      { grafana: { externalUrl: 'ftp://g' } },
      /grafana.externalUrl 'ftp:\/\/g' is not an http\(s\):\/\/ URL/,
    ],
    [
      'the Grafana external URL is an in-cluster address',
      { grafana: { externalUrl: 'http://grafana.observability.svc.cluster.local:80' } },
      /grafana.externalUrl 'http:\/\/grafana.observability.svc.cluster.local:80' is an in-cluster address a browser cannot open; give the URL users reach it at .* or leave it unset for no link/,
    ],
    [
      'the Jaeger external URL is an in-cluster address',
      { jaeger: { externalUrl: 'http://jaeger.observability.svc:16686' } },
      /jaeger.externalUrl 'http:\/\/jaeger.observability.svc:16686' is an in-cluster address/,
    ],
    [
      'the OpenID issuer is not https',
      { kiali: { auth: KialiAuth.openId({ issuerUri: 'http://sso', clientId: 'kiali' }) } },
      /kiali.auth issuerUri 'http:\/\/sso' is not an https:\/\/ URL/,
    ],
    [
      'the OpenID client id is empty',
      { kiali: { auth: KialiAuth.openId({ issuerUri: 'https://sso', clientId: '' }) } },
      /kiali.auth OpenID clientId is empty/,
    ],
    ['Kiali replicas are out of range', { kiali: { replicas: 6 } }, /kiali.replicas 6 is not allowed/],
    [
      'a request is above its limit',
      { prometheus: { resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } } },
      /prometheus.resources: CPU request 2 exceeds its limit 1; raise the limit or lower the request/,
    ],
    [
      'a quantity is malformed',
      { grafana: { resources: { requests: { cpu: '50m', memory: '128MB' }, limits: { cpu: '1', memory: '1Gi' } } } },
      /grafana.resources: memory '128MB' is not a quantity/,
    ],
    [
      'the mesh Telemetry sampling is not a percentage',
      { meshTelemetry: { samplingPercentage: 150, accessLogging: true } },
      /meshTelemetry.samplingPercentage 150 is not a percentage; use 0 to 100/,
    ],
  ])('fails when %s', (_, props, message) => {
    const msg = messageOf(() => synthStack(props));
    expect(msg).toMatch(/^ObservabilityStack test\/obs: /);
    expect(msg).toMatch(message);
  });

  function stack(): ObservabilityStack {
    return new ObservabilityStack(Testing.chart(), 'obs');
  }

  test('fails when an alert name is not a Prometheus identifier', () => {
    expect(messageOf(() => stack().addAlertRule(new AlertRule({ name: 'checkout-slow', expr: 'x', summary: 's' })))).toMatch(
      /ObservabilityStack test\/obs: alert name 'checkout-slow' is not a Prometheus identifier; use letters, digits and '_'/,
    );
  });

  test('fails when an alert is defined twice', () => {
    expect(messageOf(() => stack().addAlertRule(AlertRule.istiodDown()))).toMatch(
      /alert 'IstiodDown' is defined twice; give each rule its own name/,
    );
  });

  test('fails when an alert expression is empty', () => {
    expect(messageOf(() => stack().addAlertRule(new AlertRule({ name: 'Nothing', expr: ' ', summary: 's' })))).toMatch(
      /alert 'Nothing' has an empty expression/,
    );
  });

  test('fails when a dashboard is provisioned twice in a folder', () => {
    expect(messageOf(() => stack().addDashboard(ISTIO_DASHBOARDS[0]))).toMatch(
      /dashboard 'istio-mesh' is provisioned twice in folder 'istio'; keep one/,
    );
    expect(messageOf(() => stack().addDashboard(FLAGGER_CANARY_DASHBOARD))).toMatch(
      /'flagger-canary' is provisioned twice in folder 'flagger'/,
    );
  });

  test.each<[string, GrafanaDashboard, RegExp]>([
    [
      'a dashboard name is not a DNS label',
      GrafanaDashboard.fromGrafanaCom({ name: 'My Board', gnetId: 1, revision: 1, folder: 'x' }),
      /dashboard name 'My Board' is not a DNS-1123 label/,
    ],
    [
      'a dashboard folder is not a DNS label',
      GrafanaDashboard.fromGrafanaCom({ name: 'b', gnetId: 1, revision: 1, folder: 'My Folder' }),
      /dashboard folder 'My Folder' is not a DNS-1123 label/,
    ],
    [
      'a dashboard URL is not https',
      GrafanaDashboard.fromUrl({ name: 'b', url: 'http://example.com/d.json', folder: 'x' }),
      /dashboard 'b' URL 'http:\/\/example.com\/d.json' must be https:\/\//,
    ],
    [
      'a grafana.com revision is not pinned',
      GrafanaDashboard.fromGrafanaCom({ name: 'b', gnetId: 7639, revision: 0, folder: 'x' }),
      /dashboard 'b' gnetId 7639 \/ revision 0 must be positive integers; pin the grafana.com revision/,
    ],
  ])('fails when %s', (_, dashboard, message) => {
    expect(messageOf(() => stack().addDashboard(dashboard))).toMatch(message);
  });
});

describe('ObservabilityChart (tier rules) and mesh:observability', () => {
  const base: ObservabilityChartProps = { tier: 'production', ...observabilityPresets.production };

  function chartMessage(props: ObservabilityChartProps): string {
    return messageOf(() => new ObservabilityChart(Testing.app(), 'observability', props));
  }

  test('fails when production uses anonymous Kiali', () => {
    expect(chartMessage({ ...base, kiali: { auth: 'anonymous' } })).toMatch(
      /^ObservabilityChart observability: Kiali auth 'anonymous' is not allowed in production .*set mesh:observability.kiali.auth to token or openid/,
    );
  });

  test('fails when production Prometheus has no persistence', () => {
    expect(chartMessage({ ...base, prometheus: { ...base.prometheus, storageSize: undefined } })).toMatch(
      /Prometheus without persistence is not allowed in production .*set mesh:observability.prometheus.storageSize/,
    );
  });

  test('fails when Kiali openid has no issuer and client', () => {
    expect(chartMessage({ ...base, kiali: { auth: 'openid' } })).toMatch(
      /Kiali auth openid needs mesh:observability.kiali.openId \(issuerUri and clientId\)/,
    );
  });

  test('fails when a Slack channel is given for Teams', () => {
    expect(chartMessage({ ...base, alerts: { ...base.alerts, receiver: 'teams' } })).toMatch(
      /alerts channel '#mesh-alerts' only applies to Slack; remove it for Teams/,
    );
  });

  test('a retention in minutes is minutes, not weeks (30m was rendered as 210d)', () => {
    const chart = new ObservabilityChart(Testing.app(), 'observability', {
      tier: 'development',
      ...observabilityPresets.development,
      prometheus: { ...observabilityPresets.development.prometheus, retention: '150m' },
    });
    const release = Testing.synth(chart).find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'prometheus');
    expect(release.spec.values.server.retention).toBe('150m');
    // Below one TSDB block, so refused with the value in minutes rather than accepted as 210 days.
    expect(chartMessage({ ...base, prometheus: { ...base.prometheus, retention: '30m' } })).toMatch(
      /prometheus.retention 30m is shorter than one TSDB block/,
    );
  });

  test('fails when the retention is no Prometheus duration', () => {
    expect(chartMessage({ ...base, prometheus: { ...base.prometheus, retention: '2 weeks' } })).toMatch(
      /^ObservabilityChart observability: mesh:observability.prometheus.retention '2 weeks' is not a Prometheus duration; use whole y, w, d, h, m, s, ms units/,
    );
  });

  test('development may use anonymous Kiali and no persistence', () => {
    const chart = new ObservabilityChart(Testing.app(), 'observability', { tier: 'development', ...observabilityPresets.development });
    expect(chart.layer).toBe('platform');
    expect(Testing.synth(chart).filter((o) => o.kind === 'HelmRelease')).toHaveLength(4);
  });

  test("the namespace is not redeclared when the stack goes into Istio's root namespace", () => {
    const chart = new ObservabilityChart(Testing.app(), 'observability', {
      tier: 'development',
      ...observabilityPresets.development,
      namespace: 'istio-system',
    });
    expect(Testing.synth(chart).some((o) => o.kind === 'Namespace')).toBe(false);
    expect(chart.stack.prometheusUrl).toBe('http://prometheus-server.istio-system.svc.cluster.local:80');
  });

  const problems = (values: Record<string, unknown>) => configProblems(() => parseEnvironment('dev', values, 'Pulumi.dev.yaml'));

  test.each<[string, Record<string, unknown>, RegExp]>([
    [
      'the retention has no unit',
      { prometheus: { retention: '15' } },
      /mesh:observability.prometheus.retention: must be a retention such as 6h, 15d or 4w/,
    ],
    ['the retention is below 2h', { prometheus: { retention: '1h' } }, /mesh:observability.prometheus.retention: must be at least 2h/],
    [
      'the storage size is not Gi or Ti',
      { prometheus: { storageSize: '20G' } },
      /mesh:observability.prometheus.storageSize: must be a volume size such as 10Gi/,
    ],
    [
      'Kiali auth is unknown',
      { kiali: { auth: 'basic' } },
      /mesh:observability.kiali.auth: string "basic" is not allowed; expected one of anonymous, token, openid/,
    ],
    [
      'the receiver is unknown',
      { alerts: { receiver: 'pagerduty' } },
      /mesh:observability.alerts.receiver: string "pagerduty" is not allowed; expected one of slack, teams, none/,
    ],
    ['the 5xx percentage is out of range', { alerts: { errorRatePercent: 0 } }, /mesh:observability.alerts.errorRatePercent: /],
    ['a key is misspelled', { jaeger: { maxTrace: 10 } }, /mesh:observability.jaeger.maxTrace: unknown key; did you mean 'maxTraces'\?/],
    [
      'the Grafana external URL is not a URL',
      { grafana: { externalUrl: 'grafana.example.com' } },
      /mesh:observability.grafana.externalUrl: must be an http\(s\):\/\/ URL such as https:\/\/grafana.example.com/,
    ],
    [
      'the Jaeger external URL is an in-cluster address',
      { jaeger: { externalUrl: 'http://jaeger.observability.svc.cluster.local:16686' } },
      /mesh:observability.jaeger.externalUrl: must be the address users' browsers reach, not an in-cluster Service address/,
    ],
    [
      'a request is above its limit',
      { prometheus: { resources: { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '1', memory: '2Gi' } } } },
      /mesh:observability.prometheus.resources: memory request 4Gi exceeds its limit 2Gi/,
    ],
  ])('config fails when %s', (_, section, message) => {
    expect(problems({ 'mesh:observability': section }).join('\n')).toMatch(message);
  });

  test('the presets differ per tier and parse', () => {
    const dev = parseEnvironment('dev', {}, 'Pulumi.dev.yaml').observability;
    const prod = parseEnvironment('prod', { ...PRODUCTION_REQUIRED }, 'Pulumi.prod.yaml').observability;
    expect(dev.prometheus.storageSize).toBeUndefined();
    expect(prod.prometheus.storageSize).toBe('100Gi');
    expect(dev.kiali.auth).toBe('anonymous');
    expect(prod.kiali.auth).toBe('token');
    expect(
      parseEnvironment('dev', { 'mesh:observability': { prometheus: { retention: '2d' } } }, 'x').observability.prometheus.retention,
    ).toBe('2d');
  });
});

// Keeps the standalone example honest: a chart of one's own, nothing from the platform.
test('usable in any cdk8s Chart', () => {
  const chart = new Chart(Testing.app(), 'team-observability');
  const stack = new ObservabilityStack(chart, 'observability', {
    namespace: 'team-obs',
    alerting: { receiver: AlertReceiver.teams({ webhookSecret: { name: 'teams', key: 'url' } }) },
  });
  expect(stack.prometheusUrl).toBe('http://prometheus-server.team-obs.svc.cluster.local:80');
  expect(
    Testing.synth(chart)
      .filter((o) => o.kind === 'HelmRelease')
      .map((o) => o.spec.releaseName),
  ).toEqual(['prometheus', 'jaeger', 'grafana', 'kiali']);
});

describe('Prometheus replicas change without losing the metric history (issue 14 item 9)', () => {
  test('1 and 2 replicas render the same kind (a StatefulSet) with the same volume settings', () => {
    const server = (replicas: number) =>
      release(synthStack({ prometheus: { storageSize: '50Gi', replicas } }).objects, 'prometheus').spec.values.server;
    const [one, two] = [server(1), server(2)];
    expect(one.statefulSet).toEqual(two.statefulSet);
    expect(one.statefulSet.enabled).toBe(true);
    expect(one.persistentVolume).toEqual(two.persistentVolume);
  });
});
