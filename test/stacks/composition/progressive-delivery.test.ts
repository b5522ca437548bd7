import * as path from 'node:path';
import { Testing } from 'cdk8s';
import { PUBLIC_GATEWAY_REFERENCE } from '../../../charts';
import type { BookinfoRouting } from '../../../stacks/composition/demos';
import { UserAppsChart } from '../../../stacks/composition/apps';
import { flaggerCollisions, gatewayServesHost, MeshApp, prometheusUrl, WeightedSplit, WeightedSplitProps } from '../../../constructs';
import { AccessExplainer, accessMatrix, allowedEdges, matrixRequest, workloadsOf } from '../../../stacks/inspection/access';
import { Layer, LayerChart } from '../../../charts/layer';
import { ConfigError, loadEnvironmentFile, parseEnvironment } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { KubeObject, renderCharts } from '../../../stacks/engines/render';
import { prodWithDemos } from '../../support/demo-opt-in';
import { REPO_ROOT } from '../../support/shared-dir';

type Rendered = { objects: any[]; byChart: Map<string, any[]> };
const environments = new Map<string, Rendered>();
/** An environment of the repository; `prod+demos` is production with the demos opted in (it has none by default). */
function environment(name: 'dev' | 'staging' | 'prod' | 'prod+demos'): Rendered {
  if (!environments.has(name)) {
    const config = name === 'prod+demos' ? prodWithDemos() : loadEnvironmentFile(path.join(REPO_ROOT, `Pulumi.${name}.yaml`));
    const charts = renderCharts(buildPlatform(config));
    environments.set(name, { objects: charts.flatMap((c) => c.objects), byChart: new Map(charts.map((c) => [c.id, c.objects as any[]])) });
  }
  return environments.get(name)!;
}

function find(objects: any[], kind: string, name: string, namespace?: string) {
  const found = objects.find(
    (o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace),
  );
  if (!found) throw new Error(`no ${kind} ${namespace ?? '*'}/${name}`);
  return found;
}

describe("scenario S3: Flagger and httpbin's canary, in the dev environment", () => {
  test('the Canary, field by field', () => {
    const { byChart } = environment('dev');
    // S3's canary is the release of the demo httpbin, built in its chart like any app's.
    const canary = find(byChart.get('demo-apps')!, 'Canary', 'httpbin', 'demo');
    expect(canary.apiVersion).toBe('flagger.app/v1beta1');
    expect(canary.spec.provider).toBe('istio');
    expect(canary.spec.targetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'httpbin' });
    expect(canary.spec.progressDeadlineSeconds).toBe(60);
    expect(canary.spec.autoscalerRef).toEqual({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'httpbin' });
    expect(canary.spec.service.port).toBe(8000);
    expect(canary.spec.service.targetPort).toBe(8080); // go-httpbin's container port (the original's kennethreitz image used 80)
    expect(canary.spec.service.portName).toBe('http');
    expect(canary.spec.service.gateways[0]).toBe('public-gateway.istio-system.svc.cluster.local');
    expect(canary.spec.service.gateways).toEqual(['public-gateway.istio-system.svc.cluster.local', 'mesh']);
    expect(canary.spec.analysis.interval).toBe('30s');
    expect(canary.spec.analysis.threshold).toBe(5);
    expect(canary.spec.analysis.maxWeight).toBe(100);
    expect(canary.spec.analysis.stepWeight).toBe(20);
    expect(canary.spec.analysis.metrics).toEqual([
      { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
      { name: 'latency', templateRef: { name: 'latency', namespace: 'istio-system' }, thresholdRange: { max: 500 }, interval: '30s' },
    ]);
    expect(canary.spec.analysis.webhooks).toEqual([
      {
        name: 'load-test',
        type: 'rollout',
        url: 'http://flagger-loadtester.test/',
        timeout: '5s',
        metadata: { type: 'cmd', cmd: 'hey -z 1m -q 10 -c 2 http://httpbin-canary.demo:8000/headers' },
      },
    ]);
  });

  test('httpbin is autoscaled by an autoscaling/v2 HPA: min 2, max 4, CPU 99 %, and its Deployment leaves replicas to it', () => {
    const apps = environment('dev').byChart.get('demo-apps')!;
    expect(find(apps, 'HorizontalPodAutoscaler', 'httpbin', 'demo')).toMatchObject({
      apiVersion: 'autoscaling/v2',
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'httpbin' },
        minReplicas: 2,
        maxReplicas: 4,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 99 } } }],
      },
    });
    expect(find(apps, 'Deployment', 'httpbin', 'demo').spec.replicas).toBeUndefined();
  });

  test('Flagger (istio provider, the observability stack Prometheus) and the load tester in the injected namespace test', () => {
    const { byChart } = environment('dev');
    const platform = byChart.get('progressive-delivery')!;
    // The observability stack's Prometheus, in the namespace the environment gives it.
    const config = loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.dev.yaml'));
    const prometheus = prometheusUrl(config.observability.namespace);
    // The template is a Flagger custom resource: in the next layer (platform-configs), once Flagger installed its CRDs.
    expect(find(byChart.get('progressive-delivery-configs')!, 'MetricTemplate', 'latency', 'istio-system').spec.provider).toEqual({
      type: 'prometheus',
      address: prometheus,
    });
    expect(find(platform, 'HelmRepository', 'flagger', 'flux-system').spec.url).toBe('https://flagger.app');
    expect(find(platform, 'HelmRelease', 'flagger', 'flux-system').spec).toMatchObject({
      targetNamespace: 'istio-system',
      chart: { spec: { chart: 'flagger', version: '1.44.0', sourceRef: { kind: 'HelmRepository', name: 'flagger' } } },
      install: { crds: 'CreateReplace' },
      values: { meshProvider: 'istio', metricsServer: prometheus, prometheus: { install: false } },
      dependsOn: [expect.objectContaining({ namespace: 'flux-system' })],
    });
    expect(find(platform, 'HelmRelease', 'flagger-loadtester', 'flux-system').spec).toMatchObject({
      releaseName: 'flagger-loadtester',
      targetNamespace: 'test',
      chart: { spec: { chart: 'loadtester', version: '0.38.0' } },
      dependsOn: [{ name: 'flagger', namespace: 'flux-system' }],
    });
    expect(find(platform, 'Namespace', 'test').metadata.labels).toMatchObject({ 'istio-injection': 'enabled' });
  });

  test('production (demos opted in) holds promotion at the load tester gate', () => {
    const canary = find(environment('prod+demos').objects, 'Canary', 'httpbin', 'demo');
    expect(canary.spec.analysis.webhooks).toContainEqual({
      name: 'confirm-promotion',
      type: 'confirm-promotion',
      url: 'http://flagger-loadtester.test/gate/check',
      timeout: '5s',
    });
  });
});

describe('no object collides with what Flagger generates', () => {
  test.each(['dev', 'staging', 'prod+demos'] as const)(
    '%s: every Canary leaves its Services, DestinationRules, VirtualService, primaries and replicas to Flagger',
    (env) => {
      const { objects } = environment(env);
      expect(objects.filter((o) => o.kind === 'Canary').length).toBeGreaterThan(0);
      expect(flaggerCollisions(objects)).toEqual([]);
    },
  );

  test('the scan sees a collision injected into a synthesized environment', () => {
    const { objects } = environment('dev');
    const intruder: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'httpbin', namespace: 'demo' },
      spec: { hosts: ['httpbin'] },
    };
    expect(flaggerCollisions([...objects, intruder])).toEqual([
      expect.stringContaining('VirtualService demo/httpbin is created by Flagger for Canary demo/httpbin'),
    ]);
  });
});

describe('scenario S7: the manual weighted canary', () => {
  /** The dev environment with `canary` as its `mesh:canary` value. */
  const devWithCanary = (canary: object) => parseEnvironment('dev', { 'mesh:canary': canary }, 'Pulumi.dev.yaml');
  /** The dev environment with the weighted split enabled in namespace canary at `weights`. */
  const devWithWeights = (weights: Record<string, number>) =>
    devWithCanary({ weightedSplit: { enabled: true, namespace: 'canary', weights } });

  test('DestinationRule subsets v1/v2 and a VirtualService for the public host and the mesh sending 80 % to v1 on 8000 and 20 % to v2 on 8001', () => {
    const objects = environment('dev').byChart.get('weighted-canary')!;
    expect(find(objects, 'Namespace', 'canary').metadata.labels).toMatchObject({ 'istio-injection': 'enabled' });
    expect(find(objects, 'Service', 'httpbin', 'canary').spec.ports).toEqual([
      expect.objectContaining({ name: 'http', port: 8000, targetPort: 8080 }),
      expect.objectContaining({ name: 'http-v2', port: 8001, targetPort: 8888 }),
    ]);
    expect(find(objects, 'DestinationRule', 'httpbin', 'canary').spec).toEqual({
      host: 'httpbin.canary.svc.cluster.local',
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    });
    // Pulumi.dev.yaml's mesh:canary.weightedSplit.host, through the public gateway; `mesh` keeps the split for in-mesh callers.
    expect(find(objects, 'VirtualService', 'httpbin', 'canary').spec).toEqual({
      hosts: ['httpbin.canary.svc.cluster.local', 'httpbin-canary.localhost'],
      gateways: ['istio-system/public-gateway', 'mesh'],
      http: [
        {
          name: 'weighted',
          route: [
            { destination: { host: 'httpbin.canary.svc.cluster.local', subset: 'v1', port: { number: 8000 } }, weight: 80 },
            { destination: { host: 'httpbin.canary.svc.cluster.local', subset: 'v2', port: { number: 8001 } }, weight: 20 },
          ],
        },
      ],
    });
    const v2 = find(objects, 'Deployment', 'httpbin-v2', 'canary').spec.template.spec.containers[0];
    expect(v2.env).toContainEqual({ name: 'PORT', value: '8888' });
    expect(v2.readinessProbe.httpGet.port).toBe(8888);
  });

  test('the public host is served over HTTPS by the public gateway with a cert-manager Certificate in istio-system from the ClusterIssuer', () => {
    const ingress = environment('dev').byChart.get('ingress')!;
    const gateway = find(ingress, 'Gateway', 'public-gateway', 'istio-system');
    const https = gateway.spec.servers.find((s: any) => s.port.number === 443);
    expect(https).toEqual({
      port: { number: 443, name: 'https', protocol: 'HTTPS' },
      hosts: ['*.localhost'], // covers httpbin-canary.localhost (one label, as in the certificate)
      tls: { mode: 'SIMPLE', credentialName: 'public-gateway-tls', minProtocolVersion: 'TLSV1_2' },
    });
    const issuer = find(ingress, 'ClusterIssuer', 'selfsigned-issuer');
    expect(find(ingress, 'Certificate', 'public-gateway-tls', 'istio-system').spec).toMatchObject({
      secretName: 'public-gateway-tls',
      dnsNames: ['*.localhost'],
      issuerRef: { name: issuer.metadata.name, kind: 'ClusterIssuer', group: 'cert-manager.io' },
    });
  });

  test('S7 with a public host and an HTTP redirect: the split is bound to a gateway that serves the host over HTTPS and redirects HTTP', () => {
    const config = parseEnvironment(
      'qa',
      {
        'mesh:tier': 'staging',
        'mesh:ingress': {
          hosts: ['*'],
          tls: { hosts: ['httpbin.canary.example.com'], redirectHttp: true, issuer: { type: 'selfSigned' }, certManagerReplicas: 1 },
        },
        'mesh:canary': { weightedSplit: { host: 'httpbin.canary.example.com' } },
      },
      'Pulumi.qa.yaml',
    );
    const objects = renderCharts(buildPlatform(config)).flatMap((c) => c.objects) as any[];
    expect(find(objects, 'Gateway', 'public-gateway', 'istio-system').spec.servers).toEqual([
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], tls: { httpsRedirect: true } },
      expect.objectContaining({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['httpbin.canary.example.com'] }),
    ]);
    expect(find(objects, 'Certificate', 'public-gateway-tls', 'istio-system').spec.dnsNames).toEqual(['httpbin.canary.example.com']);
    expect(find(objects, 'VirtualService', 'httpbin', 'canary').spec).toMatchObject({
      hosts: ['httpbin.canary.svc.cluster.local', 'httpbin.canary.example.com'],
      gateways: ['istio-system/public-gateway', 'mesh'],
    });
  });

  test('without a public host the split stays in the mesh', () => {
    const config = parseEnvironment('dev', {}, 'Pulumi.dev.yaml');
    const vs = find(renderCharts(buildPlatform(config)).flatMap((c) => c.objects) as any[], 'VirtualService', 'httpbin', 'canary');
    expect(vs.spec.hosts).toEqual(['httpbin.canary.svc.cluster.local']);
    expect(vs.spec.gateways).toBeUndefined();
  });

  test('fails when the public host is not served over HTTPS by the gateway', () => {
    // Staging's certificate names mesh.staging.example.com only.
    const config = loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.staging.yaml'));
    const withHost = {
      ...config,
      canary: { ...config.canary, weightedSplit: { ...config.canary.weightedSplit, host: 'httpbin.staging.example.com' } },
    };
    expect(() => buildPlatform(withHost)).toThrow(
      "weighted-canary: mesh:canary.weightedSplit.host 'httpbin.staging.example.com' is not served over HTTPS by the public gateway istio-system/public-gateway: mesh:ingress.tls.hosts is [mesh.staging.example.com] (a '*.domain' wildcard covers one label, as in the certificate); add 'httpbin.staging.example.com' or a wildcard covering it to mesh:ingress.tls.hosts, or choose a host they cover",
    );
    // A wildcard two labels up does not cover it either (the certificate would not be valid for it).
    const dev = {
      ...withHost,
      name: 'dev',
      ingress: {
        ...withHost.ingress,
        tls: {
          hosts: ['*.example.com'],
          redirectHttp: false,
          serveHttp: true,
          issuer: { type: 'selfSigned' as const },
          certManagerReplicas: 1,
        },
      },
    };
    expect(() => buildPlatform(dev)).toThrow(
      /'httpbin\.staging\.example\.com' is not served over HTTPS .*mesh:ingress\.tls\.hosts is \[\*\.example\.com\]/,
    );
  });

  test('fails when the public host is not served by an HTTP-only gateway', () => {
    const config = parseEnvironment(
      'qa',
      {
        'mesh:tier': 'staging',
        'mesh:ingress': { hosts: ['shop.example.com'] },
        'mesh:canary': { weightedSplit: { host: 'httpbin.example.com' } },
      },
      'Pulumi.qa.yaml',
    );
    expect(() => buildPlatform(config)).toThrow(
      "weighted-canary: mesh:canary.weightedSplit.host 'httpbin.example.com' is not served by the public gateway istio-system/public-gateway: mesh:ingress.hosts is [shop.example.com]; add 'httpbin.example.com', a wildcard covering it or '*' to mesh:ingress.hosts (or configure HTTPS for it in mesh:ingress.tls), or choose a host they cover",
    );
  });

  test('fails when the configured public host is a wildcard or not a DNS name', () => {
    const host = (h: string) => () => devWithCanary({ weightedSplit: { host: h } });
    expect(host('*.localhost')).toThrow('Pulumi.dev.yaml: mesh:canary.weightedSplit.host: must be one host name, not a wildcard');
    expect(host('https://httpbin.example.com')).toThrow(
      /mesh:canary\.weightedSplit\.host: must be a DNS name such as httpbin-canary\.example\.com/,
    );
  });

  test("the public host exposes canary/httpbin to the ingress gateway, and nothing else changes: dev's matrix is still the dependency graph", () => {
    const gatewayIdentity = { namespace: 'istio-system', serviceAccount: 'istio-ingressgateway' };
    const access = (config: ReturnType<typeof parseEnvironment>) => {
      const platform = buildPlatform(config);
      const objects = renderCharts(platform).flatMap((c) => c.objects);
      const explainer = new AccessExplainer(objects);
      const declared = platform.node
        .findAll()
        .filter((c): c is MeshApp => c instanceof MeshApp)
        .flatMap((a) => a.dependencies.map((d) => `${a.namespace}/${a.name} -> ${d.namespace}/${d.name}`));
      const fromGateway = workloadsOf(objects)
        .filter((w) => explainer.check({ ...matrixRequest(w, w), source: gatewayIdentity }).allowed)
        .map((w) => `${w.namespace}/${w.app}`);
      return { edges: allowedEdges(accessMatrix(objects)), declared: [...new Set(declared)].sort(), fromGateway: fromGateway.sort() };
    };
    const dev = access(loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.dev.yaml')));
    const inMeshOnly = access(parseEnvironment('dev', {}, 'Pulumi.dev.yaml'));
    expect(dev.edges).toEqual(dev.declared);
    expect(dev.edges).toEqual(inMeshOnly.edges);
    // The gateway edge: the apps routed from the public gateway (bookinfo's productpage, S3's httpbin, S7's httpbin).
    expect(dev.fromGateway).toEqual(['bookinfo/productpage', 'canary/httpbin', 'demo/httpbin']);
    expect(inMeshOnly.fromGateway).toEqual(['bookinfo/productpage', 'demo/httpbin']);
  });

  test('the weights come from the environment configuration', () => {
    const config = devWithWeights({ v1: 50, v2: 50 });
    const objects = renderCharts(buildPlatform(config)).flatMap((c) => c.objects) as any[];
    expect(find(objects, 'VirtualService', 'httpbin', 'canary').spec.http[0].route.map((r: any) => r.weight)).toEqual([50, 50]);
  });

  test('fails when the configured weights do not add up to 100', () => {
    expect(() => devWithWeights({ v1: 80, v2: 30 })).toThrow(ConfigError);
    expect(() => devWithWeights({ v1: 80, v2: 30 })).toThrow(/weights\.v1 \+ weights\.v2 must add up to 100/);
  });

  test('fails when the configuration has an unknown key', () => {
    expect(() => devWithCanary({ httpbinCanary: { enabled: true, manualPromotion: false, stepWeigth: 10 } })).toThrow(/stepWeigth/);
  });
});

describe('WeightedSplit', () => {
  function setup() {
    const chart = new LayerChart(Testing.app(), 'apps', { layer: Layer.APPS, namespace: 'shop' });
    const reviews = new MeshApp(chart, 'reviews', {
      image: 'docker.io/istio/examples-bookinfo-reviews-v1:1.20.3',
      ports: [{ port: 9080 }],
      versions: [{ name: 'v1' }, { name: 'v2' }, { name: 'v3' }],
    });
    /** A WeightedSplit of reviews named `id`: v1 takes every request unless `props` says otherwise. */
    const split = (props: Partial<WeightedSplitProps> = {}, id = 'split') =>
      new WeightedSplit(chart, id, { app: reviews, weights: [{ version: 'v1', weight: 100 }], ...props });
    return { chart, reviews, split };
  }
  const fails = (build: () => unknown, ...parts: string[]) => {
    let message = '';
    try {
      build();
    } catch (e) {
      message = (e as Error).message;
    }
    for (const part of parts) expect(message).toContain(part);
  };

  test('header routes come before the split; ISTIO_MUTUAL on the DestinationRule; gateways add mesh', () => {
    const { chart, split } = setup();
    split({
      weights: [
        { version: 'v1', weight: 100 },
        { version: 'v2', weight: 0 },
        { version: 'v3', weight: 0 },
      ],
      headerRoutes: [{ header: 'end-user', value: 'jason', version: 'v2' }],
      istioMutualTls: true,
      gateways: [PUBLIC_GATEWAY_REFERENCE],
    });
    const objects = Testing.synth(chart);
    expect(find(objects, 'DestinationRule', 'reviews').spec.trafficPolicy).toEqual({ tls: { mode: 'ISTIO_MUTUAL' } });
    expect(find(objects, 'VirtualService', 'reviews').spec).toMatchObject({
      gateways: ['istio-system/public-gateway', 'mesh'],
      http: [
        {
          match: [{ headers: { 'end-user': { exact: 'jason' } } }],
          route: [{ destination: { host: 'reviews.shop.svc.cluster.local', subset: 'v2' } }],
        },
        { route: [{ weight: 100 }, { weight: 0 }, { weight: 0 }] },
      ],
    });
  });

  test('fails when the weights do not add up to 100', () => {
    const { split } = setup();
    fails(
      () =>
        split({
          weights: [
            { version: 'v1', weight: 80 },
            { version: 'v2', weight: 30 },
          ],
        }),
      'WeightedSplit apps/split',
      'v1=80, v2=30 add up to 110, not 100',
    );
  });
  test('fails when a weight is negative', () => {
    const { split } = setup();
    fails(
      () =>
        split({
          weights: [
            { version: 'v1', weight: 120 },
            { version: 'v2', weight: -20 },
          ],
        }),
      'weight 120 of version',
      'from 0 to 100',
    );
  });
  test('fails when a version is unknown or given twice', () => {
    const { split } = setup();
    fails(() => split({ weights: [{ version: 'v9', weight: 100 }] }), "names version 'v9'", 'versions: v1, v2, v3');
    fails(
      () =>
        split(
          {
            weights: [
              { version: 'v1', weight: 50 },
              { version: 'v1', weight: 50 },
            ],
          },
          'split2',
        ),
      "version 'v1' has two weights",
    );
  });
  test('fails when a version targets a port the Service does not have', () => {
    const { split } = setup();
    fails(() => split({ weights: [{ version: 'v1', weight: 100, port: 8001 }] }), 'port 8001 of version', 'ports: 9080');
  });
  test('fails when the weights are empty', () => {
    const { split } = setup();
    fails(() => split({ weights: [] }), 'WeightedSplit apps/split', 'weights is empty');
  });
  test('fails when a header route has no valid header name', () => {
    const { split } = setup();
    fails(
      () => split({ headerRoutes: [{ header: 'end user', value: 'jason', version: 'v2' }] }),
      "header 'end user' is not an HTTP header name",
    );
  });
  test('extra hosts are routed through gateways that serve them: `*`, a wildcard (any depth over HTTP, one label over HTTPS) or the name', () => {
    const { chart, split } = setup();
    const http = { ...PUBLIC_GATEWAY_REFERENCE, reference: 'istio-system/http-gateway', hosts: ['*.example.com'] };
    const https = {
      ...PUBLIC_GATEWAY_REFERENCE,
      reference: 'istio-system/tls-gateway',
      hosts: ['*', '*.example.com'],
      httpsHosts: ['*.example.com', 'reviews.shop.io'],
    };
    split({ gateways: [PUBLIC_GATEWAY_REFERENCE, http, https], hosts: ['reviews.example.com'] });
    expect(find(Testing.synth(chart), 'VirtualService', 'reviews').spec).toMatchObject({
      hosts: ['reviews.shop.svc.cluster.local', 'reviews.example.com'],
      gateways: ['istio-system/public-gateway', 'istio-system/http-gateway', 'istio-system/tls-gateway', 'mesh'],
    });
    expect(gatewayServesHost(https, 'reviews.shop.io')).toBe(true);
    expect(gatewayServesHost(http, 'a.reviews.example.com')).toBe(true);
    expect(gatewayServesHost(https, 'a.reviews.example.com')).toBe(false);
    expect(gatewayServesHost(http, 'example.com')).toBe(false);
    expect(gatewayServesHost(http, 'reviews.example.com.evil.io')).toBe(false);
  });
  test('fails when a gateway does not serve an extra host', () => {
    const { split } = setup();
    const tls = { ...PUBLIC_GATEWAY_REFERENCE, hosts: ['*', 'shop.example.com'], httpsHosts: ['shop.example.com'] };
    fails(
      () => split({ gateways: [tls], hosts: ['reviews.example.com'] }),
      "WeightedSplit apps/split: host 'reviews.example.com' is not served by gateway istio-system/public-gateway (it serves over HTTPS only shop.example.com), so the gateway would never route it; add the host to the gateway's HTTPS hosts, or route another host",
    );
    const http = { ...PUBLIC_GATEWAY_REFERENCE, hosts: ['shop.example.com'] };
    fails(
      () => split({ gateways: [http], hosts: ['reviews.example.com'] }, 'split2'),
      "host 'reviews.example.com' is not served by gateway istio-system/public-gateway (it serves shop.example.com), so the gateway would never route it; add the host to the gateway's hosts, or route another host",
    );
  });
  test('fails when an extra host is not a DNS name', () => {
    const { split } = setup();
    fails(
      () => split({ hosts: ['https://reviews.example.com'] }),
      "WeightedSplit apps/split: host 'https://reviews.example.com' is not a DNS name; use a name such as 'shop.example.com'",
    );
    fails(() => split({ hosts: ['*'] }, 'split2'), "host '*' is not a DNS name");
  });
  test('fails when a header route names an unknown version', () => {
    const { split } = setup();
    fails(
      () => split({ headerRoutes: [{ header: 'end-user', value: 'jason', version: 'v7' }] }),
      "header route 'end-user' names version 'v7'",
    );
  });
});

describe('scenario S6: bookinfo', () => {
  /** Bookinfo alone in dev (the other demos off), built as ordinary apps in chart bookinfo. */
  function bookinfo(routing: BookinfoRouting, istioMutualTls = false, replicas = 1) {
    const config = parseEnvironment(
      'dev',
      {
        'mesh:demo': { apps: ['bookinfo'] },
        'mesh:canary': { httpbinCanary: { enabled: false }, weightedSplit: { enabled: false }, bookinfo: { routing, istioMutualTls } },
        'mesh:workloads': { replicas },
      },
      'Pulumi.dev.yaml',
    );
    const platform = buildPlatform(config);
    const chart = platform.node.findChild('bookinfo') as UserAppsChart;
    const objects = renderCharts(platform).find((c) => c.id === 'bookinfo')!.objects as any[];
    return { chart, objects, productpage: chart.apps.get('productpage')!, reviews: chart.apps.get('reviews')! };
  }

  test('six workloads at 1.20.3 on port 9080 named http, labeled app and version, writable /tmp, declared calls', () => {
    const { objects, productpage, reviews } = bookinfo('all-v1');
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      'details',
      'productpage',
      'ratings',
      'reviews-v1',
      'reviews-v2',
      'reviews-v3',
    ]);
    for (const d of deployments) {
      const container = d.spec.template.spec.containers[0];
      expect(container.image).toMatch(/^docker\.io\/istio\/examples-bookinfo-(productpage|details|reviews|ratings)-v[123]:1\.20\.3$/);
      expect(container.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: '/tmp' }));
      expect(d.spec.template.metadata.labels).toEqual(
        expect.objectContaining({ app: expect.any(String), version: expect.stringMatching(/^v[123]$/) }),
      );
    }
    expect(find(objects, 'Deployment', 'reviews-v3').spec.template.spec.containers[0].image).toBe(
      'docker.io/istio/examples-bookinfo-reviews-v3:1.20.3',
    );
    for (const name of ['productpage', 'details', 'reviews', 'ratings'])
      expect(find(objects, 'Service', name).spec.ports).toEqual([expect.objectContaining({ name: 'http', port: 9080 })]);
    expect(productpage.dependencies.map((d) => d.name)).toEqual(['details', 'reviews']);
    expect(reviews.dependencies.map((d) => d.name)).toEqual(['ratings']);
  });

  test('the gateway VirtualService exposes /productpage, /static, /login, /logout and /api/v1/products', () => {
    // productpage's expose.paths: its route bound to the public gateway (on the gateway's hosts), with the path match.
    const vs = find(bookinfo('all-v1').objects, 'VirtualService', 'productpage-gateway');
    // dev's public gateway serves * over HTTP and *.localhost over HTTPS.
    expect(vs.spec).toMatchObject({
      hosts: ['*', '*.localhost'],
      gateways: ['istio-system/public-gateway'],
      http: [
        {
          match: [
            { uri: { exact: '/productpage' } },
            { uri: { prefix: '/static' } },
            { uri: { exact: '/login' } },
            { uri: { exact: '/logout' } },
            { uri: { prefix: '/api/v1/products' } },
          ],
          route: [{ destination: { host: 'productpage.bookinfo.svc.cluster.local', port: { number: 9080 } } }],
        },
      ],
    });
    expect(vs.spec.http).toHaveLength(1);
  });

  const reviewsRoutes = (objects: any[]) => find(objects, 'VirtualService', 'reviews').spec.http;
  test('all-v1: every request to reviews v1', () => {
    expect(reviewsRoutes(bookinfo('all-v1').objects)).toEqual([
      {
        name: 'weighted',
        route: [
          expect.objectContaining({ destination: expect.objectContaining({ subset: 'v1' }), weight: 100 }),
          expect.objectContaining({ weight: 0 }),
          expect.objectContaining({ weight: 0 }),
        ],
      },
    ]);
  });
  test('jason-v2: end-user jason to v2, everyone else to v1', () => {
    const routes = reviewsRoutes(bookinfo('jason-v2').objects);
    expect(routes[0]).toMatchObject({
      match: [{ headers: { 'end-user': { exact: 'jason' } } }],
      route: [{ destination: { subset: 'v2' } }],
    });
    expect(routes[1].route.map((r: any) => [r.destination.subset, r.weight])).toEqual([
      ['v1', 100],
      ['v2', 0],
      ['v3', 0],
    ]);
  });
  test('v1-v3-50-50: half to v1, half to v3', () => {
    expect(reviewsRoutes(bookinfo('v1-v3-50-50').objects)[0].route.map((r: any) => [r.destination.subset, r.weight])).toEqual([
      ['v1', 50],
      ['v2', 0],
      ['v3', 50],
    ]);
  });
  test('ISTIO_MUTUAL variant: every DestinationRule with subsets per version', () => {
    const rules = bookinfo('jason-v2', true).objects.filter((o) => o.kind === 'DestinationRule');
    expect(rules.map((r) => r.metadata.name).sort()).toEqual(['details', 'productpage', 'ratings', 'reviews']);
    // ISTIO_MUTUAL beside the environment's outlier detection (productpage, details, ratings have one version: no subsets).
    for (const r of rules) expect(r.spec.trafficPolicy).toMatchObject({ tls: { mode: 'ISTIO_MUTUAL' } });
    expect(find(rules, 'DestinationRule', 'reviews').spec.subsets.map((s: any) => s.name)).toEqual(['v1', 'v2', 'v3']);
    expect(find(rules, 'DestinationRule', 'reviews').spec.trafficPolicy).toEqual({ tls: { mode: 'ISTIO_MUTUAL' } });
  });
  test('reviews-canary: one reviews Deployment rolled out by Flagger, no routing objects of its own', () => {
    const { chart, objects, reviews } = bookinfo('reviews-canary', true);
    expect(reviews.routingController).toBe(chart.releases.get('reviews'));
    const canary = find(objects, 'Canary', 'reviews');
    expect(canary.spec).toMatchObject({
      targetRef: { kind: 'Deployment', name: 'reviews' },
      service: { port: 9080, portName: 'http', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
      analysis: {
        stepWeight: 10,
        maxWeight: 50,
        webhooks: [{ metadata: { cmd: 'hey -z 1m -q 10 -c 2 http://reviews-canary.bookinfo:9080/reviews/0' } }],
      },
    });
    expect(flaggerCollisions(objects)).toEqual([]);
    expect(
      objects.filter((o) => ['Service', 'VirtualService', 'DestinationRule'].includes(o.kind) && o.metadata.name.startsWith('reviews')),
    ).toEqual([]);
  });

  test("reviews-canary with several replicas: an HPA carries them to Flagger's primary", () => {
    const { objects } = bookinfo('reviews-canary', false, 2);
    expect(find(objects, 'HorizontalPodAutoscaler', 'reviews').spec).toMatchObject({ minReplicas: 2, maxReplicas: 2 });
    expect(find(objects, 'Canary', 'reviews').spec.autoscalerRef).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      name: 'reviews',
    });
    expect(find(objects, 'Deployment', 'details').spec.replicas).toBe(2);
    expect(flaggerCollisions(objects)).toEqual([]);
  });

  test('reviews (WebSphere Liberty) gets a writable work area, logs under /tmp and time to start', () => {
    const container = find(bookinfo('all-v1').objects, 'Deployment', 'reviews-v2').spec.template.spec.containers[0];
    expect(container.securityContext).toMatchObject({ runAsUser: 1000, readOnlyRootFilesystem: true });
    expect(container.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/tmp', '/opt/ibm/wlp/output']);
    expect(container.env).toContainEqual({ name: 'LOG_DIR', value: '/tmp/logs' });
    expect(container.livenessProbe.initialDelaySeconds).toBe(60);
  });
});
