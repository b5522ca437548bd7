import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiObject, App } from 'cdk8s';
import * as YAML from 'yaml';
import { Layer, LayerChart } from '../../../charts';
import { Flagger, FlaggerLoadTester, MeshNamespace, MetricTemplate } from '../../../constructs';
import { KubeObject } from '../../../constructs/core/kube-object';
import { ISTIO_VERSION } from '../../../constructs/platform/istio-release';
import { IGNORE_ANNOTATION } from '../../../stacks/analysis/analyzer';
import { GATEWAY_CHART_SERVICE_PORTS } from '../../../stacks/analysis/analyzers/gateway';
import { analyze, AnalysisError, ANALYZERS } from '../../../stacks/analysis/registry';
import { renderCharts } from '../../../stacks/engines/render';
import { chartDir, REPO_ROOT } from '../../support/shared-dir';
import { kubeObject as obj } from '../../support/kube-objects';

const istio = (kind: string, ns: string, name: string, spec: object, annotations?: Record<string, string>) =>
  obj(
    `${kind === 'PeerAuthentication' || kind === 'AuthorizationPolicy' ? 'security' : 'networking'}.istio.io/v1`,
    kind,
    ns,
    name,
    spec,
    annotations,
  );
const service = (ns: string, name: string, ports: object[] = [{ name: 'http', port: 80, targetPort: 8080 }]) =>
  obj('v1', 'Service', ns, name, { selector: { app: name }, ports });
const deployment = (ns: string, name: string, labels: Record<string, string> = { app: name }) =>
  obj('apps/v1', 'Deployment', ns, name, { template: { metadata: { labels }, spec: { containers: [] } } });
const codes = (objects: KubeObject[]) => analyze({ objects }).findings.map((f) => f.code);
const httpbin = [service('demo', 'httpbin'), deployment('demo', 'httpbin', { app: 'httpbin', version: 'v1' })];

/** A chart of a user's own code holding raw objects (no construct validated them), rendered as the synth does. */
function renderRaw(objects: KubeObject[]) {
  const app = new App();
  const chart = new LayerChart(app, 'user', { layer: Layer.APPS });
  objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o as never));
  return () =>
    renderCharts(app, { clusterApiGroups: ['networking.istio.io', 'security.istio.io', 'flagger.app', 'helm.toolkit.fluxcd.io'] });
}

describe('IST0106 SchemaValidationError: misplaced fields on every rendered object', () => {
  const dr = (trafficPolicy: object) => istio('DestinationRule', 'demo', 'httpbin', { host: 'httpbin', trafficPolicy });

  test('fires on outlierDetection inside connectionPool, naming the field and the fix; the sibling placement is clean', () => {
    const [f] = analyze({ objects: [...httpbin, dr({ connectionPool: { outlierDetection: { consecutive5xxErrors: 1 } } })] }).findings;
    expect(f).toMatchObject({ code: 'IST0106', name: 'SchemaValidationError', severity: 'error', object: 'DestinationRule demo/httpbin' });
    expect(f.message).toContain('spec.trafficPolicy.connectionPool.outlierDetection is misplaced: a cluster drops it silently');
    expect(f.fix).toMatch(/^move it up to spec\.trafficPolicy\.outlierDetection/);
    expect(
      codes([...httpbin, dr({ connectionPool: { tcp: { maxConnections: 1 } }, outlierDetection: { consecutive5xxErrors: 1 } })]),
    ).toEqual([]);
  });

  test('fires on a timeout on a route destination and on consecutiveErrors; a timeout on the HTTP route is clean', () => {
    const vs = (http: object) => istio('VirtualService', 'demo', 'httpbin', { hosts: ['httpbin'], http: [http] });
    const misplaced = analyze({ objects: [...httpbin, vs({ route: [{ destination: { host: 'httpbin' }, timeout: '1s' }] })] }).findings;
    expect(misplaced.map((f) => [f.code, f.fix])).toEqual([['IST0106', 'set it on spec.http[0].timeout']]);
    expect(codes([...httpbin, dr({ outlierDetection: { consecutiveErrors: 5 } })])).toEqual(['IST0106']);
    expect(codes([...httpbin, vs({ timeout: '1s', route: [{ destination: { host: 'httpbin' } }] })])).toEqual([]);
  });

  test("fails the synth of a user's chart whose raw DestinationRule bypassed ResilientRoute", () => {
    const render = renderRaw([...httpbin, dr({ connectionPool: { outlierDetection: { consecutive5xxErrors: 1 } } })]);
    expect(render).toThrow(AnalysisError);
    expect(render).toThrow('[IST0106] DestinationRule demo/httpbin: spec.trafficPolicy.connectionPool.outlierDetection is misplaced');
  });
});

describe('IST0113 MTLSPolicyConflict: TLS of DestinationRules and Canaries against PeerAuthentication', () => {
  const injected: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'demo', labels: { 'istio-injection': 'enabled' } },
  };
  const mesh = (mode: string) => [injected, istio('PeerAuthentication', 'istio-system', 'default', { mtls: { mode } })];
  const dr = (spec: object, annotations?: Record<string, string>) =>
    istio('DestinationRule', 'demo', 'httpbin', { host: 'httpbin', ...spec }, annotations);
  const tls = (mode: string) => ({ trafficPolicy: { tls: { mode } } });

  test('fires on SIMPLE toward pods whose mesh-wide PeerAuthentication is STRICT, naming both objects', () => {
    const [f] = analyze({ objects: [...mesh('STRICT'), ...httpbin, dr(tls('SIMPLE'))] }).findings;
    expect(f).toMatchObject({ code: 'IST0113', name: 'MTLSPolicyConflict', severity: 'error', object: 'DestinationRule demo/httpbin' });
    expect(f.message).toBe(
      'DestinationRule demo/httpbin: spec.trafficPolicy.tls.mode SIMPLE toward port 80 of Service httpbin.demo.svc.cluster.local, whose pods (Deployment demo/httpbin) accept only mutual TLS (PeerAuthentication istio-system/default: STRICT), so every request fails',
    );
    expect(f.fix).toContain('set ISTIO_MUTUAL');
  });

  test('is clean for ISTIO_MUTUAL toward STRICT, for SIMPLE toward PERMISSIVE, and for no tls setting', () => {
    expect(codes([...mesh('STRICT'), ...httpbin, dr(tls('ISTIO_MUTUAL'))])).toEqual([]);
    expect(codes([...mesh('PERMISSIVE'), ...httpbin, dr(tls('SIMPLE'))])).toEqual([]);
    expect(codes([...mesh('STRICT'), ...httpbin, dr({})])).toEqual([]);
    // No sidecar, no PeerAuthentication: a pod of a namespace without injection (or opted out) may terminate TLS itself.
    const plain = mesh('STRICT').filter((o) => o.kind !== 'Namespace');
    expect(codes([...plain, ...httpbin, dr(tls('SIMPLE'))])).toEqual([]);
    const optedOut = deployment('demo', 'httpbin', { app: 'httpbin', 'sidecar.istio.io/inject': 'false' });
    expect(codes([...mesh('STRICT'), service('demo', 'httpbin'), optedOut, dr(tls('SIMPLE'))])).toEqual([]);
  });

  test('fires on ISTIO_MUTUAL toward a workload whose own PeerAuthentication is DISABLE; the namespace one is overridden', () => {
    const workload = istio('PeerAuthentication', 'demo', 'httpbin', {
      selector: { matchLabels: { app: 'httpbin' } },
      mtls: { mode: 'DISABLE' },
    });
    const namespace = istio('PeerAuthentication', 'demo', 'default', { mtls: { mode: 'STRICT' } });
    const [f] = analyze({ objects: [injected, namespace, workload, ...httpbin, dr(tls('ISTIO_MUTUAL'))] }).findings;
    expect(f.message).toContain('accept only plain text (PeerAuthentication demo/httpbin: DISABLE)');
    expect(codes([injected, namespace, workload, ...httpbin, dr(tls('DISABLE'))])).toEqual([]);
  });

  test('port-level modes are keyed by the container port the Service port targets; subsets judge their own pods', () => {
    const portLevel = (port: number) =>
      istio('PeerAuthentication', 'demo', 'httpbin', {
        selector: { matchLabels: { app: 'httpbin' } },
        portLevelMtls: { [String(port)]: { mode: 'PERMISSIVE' } },
      });
    const simpleOn80 = dr({ trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE' } }] } });
    expect(codes([...mesh('STRICT'), portLevel(8080), ...httpbin, simpleOn80])).toEqual([]);
    const [f] = analyze({ objects: [...mesh('STRICT'), portLevel(80), ...httpbin, simpleOn80] }).findings;
    expect(f.message).toContain('spec.trafficPolicy.portLevelSettings[0].tls.mode SIMPLE toward port 80');
    const subset = dr({ subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { tls: { mode: 'DISABLE' } } }] });
    expect(analyze({ objects: [...mesh('STRICT'), ...httpbin, subset] }).findings.map((x) => x.message)).toEqual([
      expect.stringContaining('spec.subsets[0].trafficPolicy.tls.mode DISABLE toward port 80'),
    ]);
  });

  test("fires on a Canary's traffic policy (Flagger copies it into its DestinationRules)", () => {
    const canary = (mode: string) =>
      obj('flagger.app/v1beta1', 'Canary', 'demo', 'httpbin', {
        targetRef: { kind: 'Deployment', name: 'httpbin' },
        service: { port: 80, targetPort: 8080, trafficPolicy: { tls: { mode } } },
      });
    const [f] = analyze({ objects: [...mesh('STRICT'), deployment('demo', 'httpbin'), canary('SIMPLE')] }).findings;
    expect(f).toMatchObject({ code: 'IST0113', object: 'Canary demo/httpbin' });
    expect(f.message).toContain('spec.service.trafficPolicy.tls.mode SIMPLE toward port 80 of the Services Flagger generates for httpbin');
    expect(codes([...mesh('STRICT'), deployment('demo', 'httpbin'), canary('ISTIO_MUTUAL')])).toEqual([]);
  });

  test("fails the synth of a user's raw DestinationRule; the ignore annotation opts it out with its reason", () => {
    expect(renderRaw([...mesh('STRICT'), ...httpbin, dr(tls('SIMPLE'))])).toThrow('[IST0113] DestinationRule demo/httpbin');
    const ignored = dr(tls('SIMPLE'), { [IGNORE_ANNOTATION]: 'IST0113=the app terminates TLS itself behind a PERMISSIVE port' });
    const result = analyze({ objects: [...mesh('STRICT'), ...httpbin, ignored] });
    expect(result.findings).toEqual([]);
    expect(result.ignored).toEqual([
      expect.objectContaining({
        code: 'IST0113',
        object: 'DestinationRule demo/httpbin',
        reason: 'the app terminates TLS itself behind a PERMISSIVE port',
      }),
    ]);
    expect(renderRaw([...mesh('STRICT'), ...httpbin, ignored])).not.toThrow();
  });
});

describe('MESH0010 CallIntoUngovernedNamespace: a Sidecar egress host in a namespace no AuthorizationPolicy governs', () => {
  const sidecar = (hosts: string[]) =>
    istio('Sidecar', 'demo', 'sleep', { workloadSelector: { labels: { app: 'sleep' } }, egress: [{ hosts }] });
  const policy = (ns: string, spec: object = {}) => istio('AuthorizationPolicy', ns, 'allow-nothing', spec);
  const payments = [service('payments', 'api'), deployment('payments', 'api')];

  test('fires on a call into a namespace without AuthorizationPolicy, naming the host and the fix', () => {
    const [f] = analyze({ objects: [...payments, policy('demo'), sidecar(['payments/api.payments.svc.cluster.local'])] }).findings;
    expect(f).toMatchObject({ code: 'MESH0010', name: 'CallIntoUngovernedNamespace', severity: 'error', object: 'Sidecar demo/sleep' });
    expect(f.message).toBe(
      'Sidecar demo/sleep: spec.egress hosts api.payments.svc.cluster.local, a call into namespace payments, where no AuthorizationPolicy governs, so nothing there allows that call or denies any other',
    );
    expect(f.fix).toContain('govern namespace payments');
  });

  test('is clean when a policy governs the namespace (or the root namespace mesh-wide), for wildcards and Helm-installed namespaces', () => {
    const call = sidecar(['payments/api.payments.svc.cluster.local']);
    expect(codes([...payments, policy('payments'), call])).toEqual([]);
    expect(codes([...payments, policy('istio-system'), call])).toEqual([]);
    expect(codes([...payments, policy('istio-system', { selector: { matchLabels: { app: 'api' } } }), call])).toEqual(['MESH0010']);
    expect(codes([sidecar(['istio-system/*', './*'])])).toEqual([]);
    const release = obj('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'flux-system', 'jaeger', { targetNamespace: 'observability' });
    expect(codes([release, sidecar(['observability/jaeger.observability.svc.cluster.local'])])).toEqual([]);
    // A namespace the output holds nothing of (an app-only tree calling the platform's tracing collector) is not judged.
    expect(codes([policy('demo'), sidecar(['observability/jaeger.observability.svc.cluster.local'])])).toEqual([]);
  });

  test("fails the synth of a user's raw Sidecar", () => {
    expect(renderRaw([...payments, sidecar(['payments/api.payments.svc.cluster.local'])])).toThrow(
      '[MESH0010] Sidecar demo/sleep: spec.egress hosts api.payments.svc.cluster.local',
    );
  });
});

describe('IST0104 GatewayPortNotOnWorkload: a Gateway server port the selected gateway deployment does not receive on', () => {
  const gateway = (...ports: number[]) =>
    istio('Gateway', 'istio-system', 'public-gateway', {
      selector: { istio: 'ingressgateway' },
      servers: ports.map((number) => ({ port: { number, name: `http-${number}`, protocol: 'HTTP' }, hosts: ['*'] })),
    });
  const release = (values: object = {}) =>
    obj('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'flux-system', 'istio-ingressgateway', {
      chart: { spec: { chart: 'gateway', version: ISTIO_VERSION } },
      releaseName: 'istio-ingressgateway',
      targetNamespace: 'istio-system',
      values: { name: 'istio-ingressgateway', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' }, ...values },
    });

  test("fires on a port the gateway chart's Service does not target (its default ports); 80 and 443 are clean", () => {
    const [f] = analyze({ objects: [release(), gateway(80, 8080)] }).findings;
    expect(f).toMatchObject({
      code: 'IST0104',
      name: 'GatewayPortNotOnWorkload',
      severity: 'warning',
      object: 'Gateway istio-system/public-gateway',
    });
    expect(f.message).toBe(
      'Gateway istio-system/public-gateway: spec.servers[1].port.number 8080 is not a port the gateway workload selected by {"istio":"ingressgateway"} receives on (HelmRelease flux-system/istio-ingressgateway: target ports 80, 443, 15021), so no client reaches that server',
    );
    expect(codes([release(), gateway(80, 443)])).toEqual([]);
  });

  test("reads the release's service.ports by target port, and the chart's default labels when values set none", () => {
    const ports = { service: { ports: [{ name: 'http2', port: 80, targetPort: 8080 }] } };
    expect(codes([release(ports), gateway(8080)])).toEqual([]);
    expect(codes([release(ports), gateway(80)])).toEqual(['IST0104']);
    const bare = obj('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'flux-system', 'ingressgateway', {
      chart: { spec: { chart: 'gateway' } },
      targetNamespace: 'istio-system',
    }); // release istio-system-ingressgateway: labels app istio-system-ingressgateway, istio system-ingressgateway
    expect(codes([bare, gateway(8080)])).toEqual([]);
    expect(
      codes([
        bare,
        istio('Gateway', 'istio-system', 'g', { selector: { istio: 'system-ingressgateway' }, servers: [{ port: { number: 8080 } }] }),
      ]),
    ).toEqual(['IST0104']);
  });

  test('judges a plain gateway Deployment by the Services selecting its pods; a selector matching nothing known is not judged', () => {
    const pods = deployment('edge', 'my-gateway', { app: 'my-gateway', istio: 'ingressgateway' });
    const svc = obj('v1', 'Service', 'edge', 'my-gateway', {
      selector: { app: 'my-gateway' },
      ports: [{ name: 'http', port: 80, targetPort: 8080 }],
    });
    expect(codes([pods, svc, gateway(8080)])).toEqual([]);
    expect(codes([pods, svc, gateway(80)])).toEqual(['IST0104']);
    expect(codes([gateway(1234)])).toEqual([]);
  });

  test("the default ports are the gateway chart's at the pinned Istio version", () => {
    const values = YAML.parse(fs.readFileSync(path.join(chartDir('gateway', ISTIO_VERSION), 'values.yaml'), 'utf8'));
    expect(
      values._internal_defaults_do_not_set.service.ports.map((p: any) => ({ name: p.name, port: p.port, targetPort: p.targetPort })),
    ).toEqual(GATEWAY_CHART_SERVICE_PORTS);
  });
});

describe('the checks that moved into the registry report their codes through analyze()', () => {
  const namespace = obj('v1', 'Namespace', '', 'demo', {});
  const injected = { ...namespace, metadata: { name: 'demo', labels: { 'istio-injection': 'enabled' } } } as KubeObject;

  test('MESH0001 PodWithoutService fires on a pod of an injected namespace no Service selects; behind a Service it is clean', () => {
    expect(analyze({ objects: [injected, deployment('demo', 'orphan')] }).findings).toEqual([
      expect.objectContaining({
        code: 'MESH0001',
        name: 'PodWithoutService',
        object: 'Deployment demo/orphan',
        fix: 'create one, e.g. with MeshApp',
      }),
    ]);
    expect(codes([injected, ...httpbin])).toEqual([]);
  });

  test('MESH0002 ConflictingPortProtocols fires on one container port exposed as http and tcp; one protocol is clean', () => {
    const second = (name: string) =>
      obj('v1', 'Service', 'demo', 'httpbin-raw', { selector: { app: 'httpbin' }, ports: [{ name, port: 9000, targetPort: 8080 }] });
    expect(codes([injected, ...httpbin, second('tcp')])).toEqual(['MESH0002']);
    expect(codes([injected, ...httpbin, second('http-raw')])).toEqual([]);
  });

  test('MESH0003 CustomResourceBeforeItsCrd and MESH0004 HelmReleaseBeforeItsNamespace fire on the construct tree; in order it is clean', () => {
    const build = (crdLayer: Layer, namespaceLayer: Layer) => {
      const app = new App();
      const platform = new LayerChart(app, 'platform', { layer: Layer.PLATFORM, namespace: 'istio-system' });
      new Flagger(platform, 'flagger', { prometheusUrl: 'http://prometheus-server.observability:80' });
      new FlaggerLoadTester(platform, 'load-tester', { namespace: 'loadtest' });
      const configs = new LayerChart(app, 'configs', { layer: crdLayer, namespace: 'istio-system' });
      MetricTemplate.istioP99Latency(configs, 'latency', { prometheusUrl: 'http://prometheus-server.observability:80' });
      new MeshNamespace(new LayerChart(app, 'namespaces', { layer: namespaceLayer }), 'ns', { name: 'loadtest' });
      const charts = renderCharts(app, { analysis: false });
      return analyze({ app, charts, objects: charts.flatMap((c) => c.objects) }).findings.map((f) => f.code);
    };
    expect(build(Layer.PLATFORM, Layer.APPS)).toEqual(['MESH0003', 'MESH0004']);
    expect(build(Layer.PLATFORM_CONFIGS, Layer.PLATFORM)).toEqual([]);
  });
});

test("the README's analyzer table lists every analyzer of the registry with its severity", () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  for (const a of ANALYZERS) expect(readme).toContain(`| ${a.code} ${a.name} | ${a.severity} |`);
});
