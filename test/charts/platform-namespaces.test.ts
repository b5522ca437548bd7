import * as path from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { LAYERS, Layer, PlatformNamespacesChart } from '../../charts';
import * as c from '../../constructs';
import { KubeObject, renderCharts } from '../../stacks/engines/render';
import { buildPlatform } from '../../stacks/composition/platform';
import { EnvironmentConfig, loadEnvironmentFile, parseEnvironment } from '../../stacks/environments';
import { NetworkPod, NetworkPolicyExplainer, NetworkSource } from '../../stacks/inspection/access/network-policy';
import { prodWithDemos } from '../support/demo-opt-in';
import { REPO_ROOT } from '../support/shared-dir';

const ENVS = ['dev', 'staging', 'prod'] as const;
const load = (env: string) => loadEnvironmentFile(path.join(REPO_ROOT, `Pulumi.${env}.yaml`));
const rendered = new Map<string, ReturnType<typeof renderCharts>>();
function charts(env: string, config?: EnvironmentConfig) {
  const key = config ? `${env}+` : env;
  if (!rendered.has(key)) rendered.set(key, renderCharts(buildPlatform(config ?? load(env))));
  return rendered.get(key)!;
}
const objectsOf = (env: string, config?: EnvironmentConfig): KubeObject[] => charts(env, config).flatMap((c) => c.objects);

/** Every namespace the platform puts something into: its Namespace objects and its Helm releases' target namespaces. */
function ownedNamespaces(objects: readonly KubeObject[]): string[] {
  const names = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'Namespace') names.add(o.metadata.name);
    if (o.kind === 'HelmRelease') names.add((o.spec as any).targetNamespace);
  }
  names.delete('flux-system'); // Flux's own, installed by `flux install` (or the bootstrap), not the platform's
  return [...names].sort();
}

// The pods of the platform, with the labels their pinned charts set (see charts/platform-namespaces.ts).
const pod = (namespace: string, labels: Record<string, string>): NetworkPod => ({ namespace, labels });
const ISTIOD = pod('istio-system', { app: 'istiod', istio: 'pilot' });
const INGRESS_GATEWAY = pod('istio-system', { app: 'istio-ingressgateway', istio: 'ingressgateway' });
const EGRESS_GATEWAY = pod('istio-system', { app: 'istio-egressgateway', istio: 'egressgateway' });
const FLAGGER = pod('istio-system', { 'app.kubernetes.io/name': 'flagger', 'app.kubernetes.io/instance': 'flagger' });
const ACME_SOLVER = pod('istio-system', { 'acme.cert-manager.io/http01-solver': 'true' });
const CM_WEBHOOK = pod('cert-manager', { 'app.kubernetes.io/name': 'webhook', 'app.kubernetes.io/component': 'webhook' });
const CM_CONTROLLER = pod('cert-manager', { 'app.kubernetes.io/name': 'cert-manager', 'app.kubernetes.io/component': 'controller' });
const LOAD_TESTER = pod('test', { app: 'loadtester', 'app.kubernetes.io/name': 'loadtester' });
const OTHER_IN_TEST = pod('test', { app: 'debug' });
const obs = (labels: Record<string, string>) => pod('observability', { ...labels, 'app.kubernetes.io/instance': 'x' });
const PROMETHEUS = obs({ 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' });
const ALERTMANAGER = obs({ 'app.kubernetes.io/name': 'alertmanager' });
const GRAFANA = obs({ 'app.kubernetes.io/name': 'grafana' });
const KIALI = obs({ 'app.kubernetes.io/name': 'kiali', app: 'kiali' });
const JAEGER = obs({ 'app.kubernetes.io/name': 'jaeger' });

/** The pod template labels of a rendered Deployment. */
function deploymentPod(objects: readonly KubeObject[], namespace: string, name: string): NetworkPod {
  const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.namespace === namespace && o.metadata.name === name);
  if (!d) throw new Error(`no Deployment ${namespace}/${name}`);
  return pod(namespace, (d.spec as any).template.metadata.labels);
}

describe('every namespace the platform owns is isolated: default-deny ingress', () => {
  test.each(ENVS)('%s', (env) => {
    const objects = objectsOf(env);
    const owned = ownedNamespaces(objects);
    // The platform's namespaces, and in dev and staging the demo namespaces.
    expect(owned).toEqual(expect.arrayContaining(['cert-manager', 'istio-system', 'observability', 'test']));
    if (env !== 'prod') expect(owned).toEqual(expect.arrayContaining(['bookinfo', 'demo']));
    for (const namespace of owned) {
      const denies = objects.filter(
        (o) =>
          o.kind === 'NetworkPolicy' &&
          o.metadata.namespace === namespace &&
          o.metadata.name === 'default-deny-ingress' &&
          JSON.stringify(o.spec) === JSON.stringify({ podSelector: {}, policyTypes: ['Ingress'] }),
      );
      expect({ namespace, denies: denies.length }).toEqual({ namespace, denies: 1 });
    }
  });

  test.each(ENVS)('%s: every NetworkPolicy is in a layer where its namespace exists (declared in it or an earlier one)', (env) => {
    const declared = new Map<string, number>();
    for (const c of charts(env))
      for (const o of c.objects)
        if (o.kind === 'Namespace' && !declared.has(o.metadata.name)) declared.set(o.metadata.name, LAYERS.indexOf(c.layer));
    for (const c of charts(env))
      for (const o of c.objects.filter((x) => x.kind === 'NetworkPolicy')) {
        const at = declared.get(o.metadata.namespace!);
        expect({
          policy: `${o.metadata.namespace}/${o.metadata.name}`,
          declaredBefore: at !== undefined && at <= LAYERS.indexOf(c.layer),
        }).toEqual({
          policy: `${o.metadata.namespace}/${o.metadata.name}`,
          declaredBefore: true,
        });
      }
  });

  test('istio-system and cert-manager are declared in layer infrastructure, before the releases that install into them, and never pruned', () => {
    const chart = charts('prod').find((c) => c.id === 'platform-namespaces')!;
    expect(chart.layer).toBe(Layer.INFRASTRUCTURE);
    const namespaces = chart.objects.filter((o) => o.kind === 'Namespace');
    expect(namespaces.map((o) => o.metadata.name).sort()).toEqual(['cert-manager', 'istio-system']);
    for (const ns of namespaces) {
      expect(ns.metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
      // Not a MeshNamespace: an istio-injection label there would stop the gateways' own injection.
      expect((ns.metadata.labels as Record<string, string> | undefined)?.['istio-injection']).toBeUndefined();
    }
  });

  test('without mesh:security.networkPolicies the namespaces are still declared, with no NetworkPolicy', () => {
    const objects = objectsOf('dev', parseEnvironment('dev', { 'mesh:security': { networkPolicies: false } }, 'Pulumi.dev.yaml'));
    expect(objects.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Namespace' && o.metadata.name === 'istio-system')).toHaveLength(1);
  });
});

describe('exactly the needed flows get in (NetworkPolicy evaluation)', () => {
  const cases = (objects: KubeObject[], env: string): [string, NetworkSource, NetworkPod, number, boolean][] => [
    // The API server (not a pod) calls the admission webhooks: a default deny that forgot them stops every pod creation.
    ['API server -> istiod webhooks', 'outside', ISTIOD, 15017, true],
    ['API server -> cert-manager webhook', 'outside', CM_WEBHOOK, 10250, true],
    ['outside -> istiod xDS', 'outside', ISTIOD, 15012, false],
    ['outside -> cert-manager metrics', 'outside', CM_CONTROLLER, 9402, false],
    // Every sidecar and gateway reaches istiod for configuration and certificates.
    ['load tester sidecar -> istiod xDS/CA (15012)', LOAD_TESTER, ISTIOD, 15012, true],
    ['load tester sidecar -> istiod xDS (15010)', LOAD_TESTER, ISTIOD, 15010, true],
    ['ingress gateway -> istiod', INGRESS_GATEWAY, ISTIOD, 15012, true],
    ['load tester -> istiod monitoring', LOAD_TESTER, ISTIOD, 15014, false],
    // The ingress gateway from outside, on its Service's ports.
    ['outside -> ingress gateway 80', 'outside', INGRESS_GATEWAY, 80, true],
    ['outside -> ingress gateway 443', 'outside', INGRESS_GATEWAY, 443, true],
    ['outside -> ingress gateway status 15021', 'outside', INGRESS_GATEWAY, 15021, true],
    ['outside -> ingress gateway admin 15000', 'outside', INGRESS_GATEWAY, 15000, false],
    ['outside -> Flagger', 'outside', FLAGGER, 8080, false],
    // Prometheus scrapes the control plane, the gateways, the sidecars, Flagger and cert-manager.
    ['Prometheus -> istiod 15014', PROMETHEUS, ISTIOD, 15014, true],
    ['Prometheus -> ingress gateway 15020', PROMETHEUS, INGRESS_GATEWAY, 15020, true],
    ['Prometheus -> ingress gateway 15090', PROMETHEUS, INGRESS_GATEWAY, 15090, true],
    ['Prometheus -> load tester sidecar 15020', PROMETHEUS, LOAD_TESTER, 15020, true],
    ['Prometheus -> Flagger 8080', PROMETHEUS, FLAGGER, 8080, true],
    ['Prometheus -> cert-manager 9402', PROMETHEUS, CM_CONTROLLER, 9402, true],
    ['Prometheus -> Alertmanager', PROMETHEUS, ALERTMANAGER, 9093, true],
    // Grafana and Kiali read Prometheus and Jaeger; Kiali reads istiod and links Grafana.
    ['Grafana -> Prometheus', GRAFANA, PROMETHEUS, 9090, true],
    ['Grafana -> Jaeger query', GRAFANA, JAEGER, 16686, true],
    ['Kiali -> Prometheus', KIALI, PROMETHEUS, 9090, true],
    ['Kiali -> Jaeger query', KIALI, JAEGER, 16686, true],
    ['Kiali -> Grafana', KIALI, GRAFANA, 3000, true],
    ['Kiali -> istiod monitoring', KIALI, ISTIOD, 15014, true],
    ['outside -> Grafana', 'outside', GRAFANA, 3000, false],
    ['load tester -> Prometheus', LOAD_TESTER, PROMETHEUS, 9090, false],
    // Every proxy reports spans to the collector.
    ['load tester sidecar -> Jaeger OTLP', LOAD_TESTER, JAEGER, 4317, true],
    ['ingress gateway -> Jaeger OTLP', INGRESS_GATEWAY, JAEGER, 4317, true],
    ['ingress gateway -> Jaeger Zipkin', INGRESS_GATEWAY, JAEGER, 9411, true],
    // Flagger queries Prometheus and calls its load tester; nothing else reaches the load tester's API.
    ['Flagger -> Prometheus', FLAGGER, PROMETHEUS, 9090, true],
    ['Flagger -> load tester', FLAGGER, LOAD_TESTER, 8080, true],
    ['Grafana -> load tester', GRAFANA, LOAD_TESTER, 8080, false],
    ['another pod of test -> load tester', OTHER_IN_TEST, LOAD_TESTER, 8080, false],
    ['ingress gateway -> load tester', INGRESS_GATEWAY, LOAD_TESTER, 8080, false],
    ...(env === 'dev'
      ? []
      : ([
          // The sidecars route external calls through the egress gateway; ACME challenges reach the solver pods.
          ['load tester sidecar -> egress gateway 443', LOAD_TESTER, EGRESS_GATEWAY, 443, true],
          ['outside -> egress gateway 443', 'outside', EGRESS_GATEWAY, 443, false],
          ['ingress gateway -> ACME HTTP-01 solver', INGRESS_GATEWAY, ACME_SOLVER, 8089, true],
          ['outside -> ACME HTTP-01 solver', 'outside', ACME_SOLVER, 8089, false],
        ] as [string, NetworkSource, NetworkPod, number, boolean][])),
    ...(env === 'prod'
      ? []
      : ([
          // The load tester drives the canary's traffic; another workload of its namespace has no business there.
          ['load tester -> canaried httpbin', LOAD_TESTER, deploymentPod(objects, 'demo', 'httpbin'), 8080, true],
          ['another pod of test -> canaried httpbin', OTHER_IN_TEST, deploymentPod(objects, 'demo', 'httpbin'), 8080, false],
          ['demo/sleep -> Prometheus', deploymentPod(objects, 'demo', 'sleep'), PROMETHEUS, 9090, false],
          ['demo/sleep -> load tester', deploymentPod(objects, 'demo', 'sleep'), LOAD_TESTER, 8080, false],
          ['demo/sleep -> istiod xDS', deploymentPod(objects, 'demo', 'sleep'), ISTIOD, 15012, true],
          ['demo/sleep -> Jaeger', deploymentPod(objects, 'demo', 'sleep'), JAEGER, 4317, true],
        ] as [string, NetworkSource, NetworkPod, number, boolean][])),
  ];

  test.each(ENVS)('%s', (env) => {
    const objects = objectsOf(env);
    const explainer = new NetworkPolicyExplainer(objects);
    const results = cases(objects, env).map(([what, from, to, port]) => ({ what, allowed: explainer.check({ from, to, port }).allowed }));
    expect(results).toEqual(cases(objects, env).map(([what, , , , allowed]) => ({ what, allowed })));
  });

  test.each(ENVS)(
    '%s: Alertmanager replicas (prod: 2) gossip with each other on 9094, TCP and UDP, and nobody else reaches that port',
    (env) => {
      const explainer = new NetworkPolicyExplainer(objectsOf(env));
      for (const protocol of ['TCP', 'UDP'] as const) {
        expect(explainer.check({ from: ALERTMANAGER, to: ALERTMANAGER, port: 9094, protocol }).allowed).toBe(env === 'prod');
        expect(explainer.check({ from: PROMETHEUS, to: ALERTMANAGER, port: 9094, protocol }).allowed).toBe(false);
      }
    },
  );

  test("the httpbin demo's port is the one the flows above use", () => {
    const d = objectsOf('dev').find((o) => o.kind === 'Deployment' && o.metadata.name === 'httpbin')!;
    expect((d.spec as any).template.spec.containers[0].ports.map((p: any) => p.containerPort)).toContain(8080);
  });
});

describe('Pod Security admission labels', () => {
  const levels = (objects: readonly KubeObject[]) =>
    Object.fromEntries(
      objects
        .filter((o) => o.kind === 'Namespace')
        .map((o) => [o.metadata.name, (o.metadata.labels as Record<string, string> | undefined)?.['pod-security.kubernetes.io/enforce']]),
    );

  test.each(ENVS)('%s: every namespace enforces a level, pinned to a version, and warns and audits at restricted', (env) => {
    const namespaces = objectsOf(env).filter((o) => o.kind === 'Namespace');
    expect(namespaces.length).toBeGreaterThanOrEqual(4);
    for (const ns of namespaces)
      expect({ name: ns.metadata.name, labels: ns.metadata.labels }).toMatchObject({
        name: ns.metadata.name,
        labels: {
          'pod-security.kubernetes.io/enforce': expect.stringMatching(/^(privileged|baseline|restricted)$/),
          'pod-security.kubernetes.io/enforce-version': 'v1.27',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': 'v1.27',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/audit-version': 'v1.27',
        },
      });
  });

  test('without the Istio CNI plugin (dev, staging) meshed namespaces are privileged: istio-init needs NET_ADMIN and NET_RAW', () => {
    for (const env of ['dev', 'staging']) {
      expect(load(env).istio.install.cni).toBe(false);
      expect(levels(objectsOf(env))).toEqual({
        'istio-system': 'baseline',
        'cert-manager': 'restricted',
        observability: 'baseline',
        test: 'privileged',
        demo: 'privileged',
        bookinfo: 'privileged',
        ...(env === 'dev' || levels(objectsOf(env)).canary ? { canary: 'privileged' } : {}),
      });
    }
  });

  test('with the Istio CNI plugin (prod) meshed namespaces are restricted; istio-system, where the CNI node agent runs, privileged', () => {
    expect(load('prod').istio.install.cni).toBe(true);
    expect(levels(objectsOf('prod'))).toEqual({
      'istio-system': 'privileged',
      'cert-manager': 'restricted',
      observability: 'baseline',
      test: 'restricted',
    });
    // The demos opted into production are meshed namespaces like any other.
    expect(levels(objectsOf('prod', prodWithDemos())).demo).toBe('restricted');
  });

  test('the load tester meets the restricted standard: its pod and container security contexts (chart values)', () => {
    const release = objectsOf('prod').find((o) => o.kind === 'HelmRelease' && o.metadata.name === 'flagger-loadtester')!;
    expect((release.spec as any).values).toMatchObject({
      rbac: { create: true, rules: [] },
      securityContext: {
        enabled: true,
        context: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
      podSecurityContext: { enabled: true, context: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } },
    });
  });
});

describe('PlatformNamespacesChart', () => {
  const PROM = { namespace: 'observability', serviceAccount: 'prometheus-server', podLabels: { app: 'prometheus' } };
  function parts() {
    const app = Testing.app();
    const scope = new Chart(app, 'mesh');
    const base = new c.IstioBase(scope, 'base');
    const istiod = new c.Istiod(scope, 'istiod', { base });
    return { app, istiod, ingress: new c.IstioGateway(scope, 'ingress', { istiod, direction: c.GatewayDirection.INGRESS }) };
  }

  test('fails when acmeHttp01 is set without the ingress gateway that routes the challenges', () => {
    const { app, istiod } = parts();
    expect(() => new PlatformNamespacesChart(app, 'ns', { istiod, prometheus: PROM, acmeHttp01: true })).toThrow(
      'PlatformNamespacesChart ns: acmeHttp01 needs the ingress gateway that routes the challenges; pass it in gateways',
    );
  });

  test('a namespace shared by components enforces the most permissive level one of them needs', () => {
    const { app, istiod, ingress } = parts();
    const certManager = new c.CertManager(new Chart(app, 'cm'), 'cert-manager', { namespace: 'istio-system' });
    const chart = new PlatformNamespacesChart(app, 'ns', { istiod, gateways: [ingress], certManager, prometheus: PROM });
    expect([...chart.podSecurity]).toEqual([['istio-system', c.PodSecurityLevel.BASELINE]]);
    expect(Testing.synth(chart).filter((o) => o.kind === 'Namespace')).toHaveLength(1);
  });

  test('without NetworkPolicies only the Namespace objects are rendered', () => {
    const { app, istiod } = parts();
    const chart = new PlatformNamespacesChart(app, 'ns', { istiod, prometheus: PROM, networkPolicies: false });
    expect(Testing.synth(chart).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/istio-system']);
    expect(chart.isolation.size).toBe(0);
  });
});
