import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { ZeroTrustChart, ZeroTrustChartProps } from '../../../charts/zero-trust';
import {
  HeaderMatch,
  IMeshApp,
  IRoutingController,
  MeshApp,
  MtlsMode,
  Peer,
  Protocol,
  SidecarOutboundMode,
  ZeroTrustPolicy,
  ZeroTrustPolicyProps,
} from '../../../constructs';
import { Canary, CanarySpecTargetRefKind } from '../../../imports/flagger.app';
import {
  DestinationRule,
  DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode,
  DestinationRuleSpecTrafficPolicyTlsMode,
  VirtualService,
} from '../../../imports/networking.istio.io';
import { GATEWAY, productionZeroTrust } from '../../support/zero-trust';

function demo(props: ZeroTrustPolicyProps = {}) {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'demo' });
  const httpbin = new MeshApp(chart, 'httpbin', { image: 'go-httpbin:v2', ports: [{ port: 8000, targetPort: 8080 }] });
  const sleep = new MeshApp(chart, 'sleep', { image: 'curl:8', ports: [{ port: 80 }] });
  const policy = new ZeroTrustPolicy(chart, 'zero-trust', { apps: [httpbin, sleep], ingressGateway: GATEWAY, ...props });
  return { chart, httpbin, sleep, policy };
}

const of = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe('ZeroTrustPolicy', () => {
  test('exposes the objects it generates, exactly those it renders', () => {
    const { chart, policy } = demo();
    const rendered = Testing.synth(chart).filter(
      (o) => o.apiVersion.startsWith('security.istio.io/') || o.kind === 'Sidecar' || o.kind === 'NetworkPolicy',
    );
    expect(policy.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.name}`).sort()).toEqual(
      rendered.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`).sort(),
    );
    expect(new Set(policy.objects.map((o) => o.kind))).toEqual(new Set(['AuthorizationPolicy', 'Sidecar', 'NetworkPolicy']));
  });

  test('a default deny per namespace and an ALLOW policy per app from the declared dependencies', () => {
    const { chart, httpbin, sleep } = demo();
    sleep.calls(httpbin); // declared after the policy: rules resolve at synthesis
    const objects = Testing.synth(chart);
    expect(objects.filter((o) => o.metadata.name === 'default-deny')).toEqual([
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'default-deny', namespace: 'demo' }, spec: {} },
    ]);
    expect(of(objects, 'AuthorizationPolicy', 'httpbin')).toMatchObject({
      metadata: { namespace: 'demo' },
      spec: {
        action: 'ALLOW',
        selector: { matchLabels: { app: 'httpbin' } },
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/demo/sa/sleep'] } }] }],
      },
    });
    // Nobody calls sleep: its ALLOW policy has no rule, so it denies everything.
    expect(of(objects, 'AuthorizationPolicy', 'sleep').spec.rules).toEqual([]);
  });

  test('without default deny, an app nobody calls stays open and called apps stay restricted', () => {
    const { chart, httpbin, sleep } = demo({ defaultDeny: false });
    sleep.calls(httpbin);
    const objects = Testing.synth(chart);
    expect(of(objects, 'AuthorizationPolicy', 'default-deny')).toBeUndefined();
    expect(of(objects, 'AuthorizationPolicy', 'sleep').spec.rules).toEqual([{}]);
    expect(of(objects, 'AuthorizationPolicy', 'httpbin').spec.rules).toHaveLength(1);
  });

  test('exposed apps accept the ingress gateway identity', () => {
    const { chart, httpbin, policy } = demo();
    policy.expose(httpbin);
    const objects = Testing.synth(chart);
    expect(of(objects, 'AuthorizationPolicy', 'httpbin').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway'] } }] },
    ]);
    expect(of(objects, 'NetworkPolicy', 'httpbin').spec.ingress[0].from).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } },
      podSelector: { matchLabels: { istio: 'ingressgateway' } },
    });
  });

  test('an explicit rule refines the blanket allow of a declared dependency (scenario S5 as a rule)', () => {
    const { chart, httpbin, sleep, policy } = demo();
    sleep.calls(httpbin);
    const rule = policy
      .allow([sleep, Peer.namespace('demo')], httpbin)
      .onMethods('GET')
      .onPaths('/get')
      .whenHeader('x-rfma-token', HeaderMatch.prefix('test'));
    expect(rule.sources.map((s) => s.kind)).toEqual(['principal', 'namespace']);
    const objects = Testing.synth(chart);
    expect(of(objects, 'AuthorizationPolicy', 'httpbin').spec.rules).toEqual([
      {
        from: [{ source: { principals: ['cluster.local/ns/demo/sa/sleep'] } }, { source: { namespaces: ['demo'] } }],
        to: [{ operation: { methods: ['GET'], paths: ['/get'] } }],
        when: [{ key: 'request.headers[x-rfma-token]', values: ['test*'] }],
      },
    ]);
  });

  test('refinements: not-fields, ports as workload ports, every header match kind', () => {
    const { chart, httpbin, policy } = demo();
    policy
      .allow(Peer.serviceAccount('tools', 'runner'), httpbin)
      .exceptMethods('DELETE')
      .exceptPaths('/admin/*')
      .onPorts(8000)
      .whenHeader('x-a', HeaderMatch.exact('1'), HeaderMatch.suffix('.example.com'), HeaderMatch.present())
      .unlessHeader('x-b', HeaderMatch.prefix('bad'));
    policy.deny(Peer.anyone(), httpbin).onPaths('*.php');
    const objects = Testing.synth(chart);
    expect(of(objects, 'AuthorizationPolicy', 'httpbin').spec.rules).toEqual([
      {
        from: [{ source: { principals: ['cluster.local/ns/tools/sa/runner'] } }],
        to: [{ operation: { notMethods: ['DELETE'], notPaths: ['/admin/*'], ports: ['8080'] } }],
        when: [
          { key: 'request.headers[x-a]', values: ['1', '*.example.com', '*'] },
          { key: 'request.headers[x-b]', notValues: ['bad*'] },
        ],
      },
    ]);
    expect(of(objects, 'AuthorizationPolicy', 'httpbin-deny')).toMatchObject({
      spec: { action: 'DENY', selector: { matchLabels: { app: 'httpbin' } }, rules: [{ to: [{ operation: { paths: ['*.php'] } }] }] },
    });
  });

  test('JWT: RequestAuthentication, a DENY for requests without a token, request principals', () => {
    const { chart, httpbin, policy } = demo();
    policy.addJwtIssuer(httpbin, { issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks.json', audiences: ['httpbin'] });
    policy.allow(Peer.authenticatedUser('https://id.example.com'), httpbin);
    const objects = Testing.synth(chart);
    expect(of(objects, 'RequestAuthentication', 'httpbin-jwt')).toMatchObject({
      spec: { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: 'https://id.example.com', audiences: ['httpbin'] }] },
    });
    expect(of(objects, 'RequestAuthentication', 'httpbin-jwt').spec.jwtRules[0]).toHaveProperty(
      'jwks_uri',
      'https://id.example.com/jwks.json',
    );
    expect(of(objects, 'AuthorizationPolicy', 'httpbin-deny').spec.rules).toEqual([
      { from: [{ source: { notRequestPrincipals: ['*'] } }] },
    ]);
    expect(of(objects, 'AuthorizationPolicy', 'httpbin').spec.rules).toEqual([
      { from: [{ source: { requestPrincipals: ['https://id.example.com/*'] } }] },
    ]);
  });

  test('mTLS port exception: a workload PeerAuthentication with portLevelMtls on the container port', () => {
    const { chart, httpbin, policy } = demo();
    policy.addMtlsException(httpbin, 8000, MtlsMode.PERMISSIVE);
    expect(policy.mtlsModeOf(httpbin, 8000)).toBe(MtlsMode.PERMISSIVE);
    expect(of(Testing.synth(chart), 'PeerAuthentication', 'httpbin')).toMatchObject({
      apiVersion: 'security.istio.io/v1',
      spec: { selector: { matchLabels: { app: 'httpbin' } }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } },
    });
  });

  test('a Sidecar per app: egress to exactly its declared dependencies (not istio-system/*)', () => {
    const { chart, httpbin, sleep, policy } = demo({ outboundTrafficPolicy: SidecarOutboundMode.REGISTRY_ONLY });
    sleep.calls(httpbin);
    policy.allowEgress(sleep, 'istio-egress/api.example.com');
    const objects = Testing.synth(chart);
    expect(of(objects, 'Sidecar', 'sleep')).toMatchObject({
      apiVersion: 'networking.istio.io/v1',
      spec: {
        workloadSelector: { labels: { app: 'sleep' } },
        egress: [{ hosts: ['demo/httpbin.demo.svc.cluster.local', 'istio-egress/api.example.com'] }],
        outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      },
    });
    // An app that calls nothing sees its own Service only (a Sidecar's egress needs a host).
    expect(of(objects, 'Sidecar', 'httpbin').spec.egress).toEqual([{ hosts: ['./httpbin.demo.svc.cluster.local'] }]);
  });

  test('a NetworkPolicy per app from the same graph: callers, istio-system, Prometheus; DNS, istio-system, dependencies', () => {
    const { chart, httpbin, sleep } = demo({
      prometheus: { namespace: 'monitoring', serviceAccount: 'prometheus', podLabels: { app: 'prometheus' } },
    });
    sleep.calls(httpbin);
    const objects = Testing.synth(chart);
    const ns = (n: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': n } } });
    expect(of(objects, 'NetworkPolicy', 'httpbin')).toMatchObject({
      apiVersion: 'networking.k8s.io/v1',
      spec: {
        podSelector: { matchLabels: { app: 'httpbin' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [ns('istio-system'), { ...ns('demo'), podSelector: { matchLabels: { app: 'sleep' } } }],
            ports: [{ protocol: 'TCP', port: 8080 }],
          },
          {
            from: [{ ...ns('monitoring'), podSelector: { matchLabels: { app: 'prometheus' } } }],
            ports: [
              { protocol: 'TCP', port: 15020 },
              { protocol: 'TCP', port: 15090 },
            ],
          },
        ],
      },
    });
    expect(of(objects, 'NetworkPolicy', 'sleep').spec.egress).toEqual([
      {
        to: [{ ...ns('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: [ns('istio-system')] },
      { to: [{ ...ns('demo'), podSelector: { matchLabels: { app: 'httpbin' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
    ]);
  });

  test('the tracing collector: every Sidecar imports its Service and every NetworkPolicy lets the pods reach its port', () => {
    const { chart, httpbin, sleep } = demo({ tracingCollector: { service: 'jaeger.observability.svc.cluster.local', port: 4317 } });
    sleep.calls(httpbin);
    const objects = Testing.synth(chart);
    expect(of(objects, 'Sidecar', 'httpbin').spec.egress).toEqual([{ hosts: ['observability/jaeger.observability.svc.cluster.local'] }]);
    expect(of(objects, 'Sidecar', 'sleep').spec.egress).toEqual([
      { hosts: ['demo/httpbin.demo.svc.cluster.local', 'observability/jaeger.observability.svc.cluster.local'] },
    ]);
    for (const name of ['httpbin', 'sleep']) {
      expect(of(objects, 'NetworkPolicy', name).spec.egress).toContainEqual({
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }],
        ports: [{ protocol: 'TCP', port: 4317 }],
      });
    }
    // A collector in istio-system: the Sidecar imports that one Service (the istio-system egress rule covers the port).
    const inIstio = demo({ tracingCollector: { service: 'jaeger-collector.istio-system.svc.cluster.local', port: 4317 } });
    const again = Testing.synth(inIstio.chart);
    expect(of(again, 'Sidecar', 'httpbin').spec.egress).toEqual([
      { hosts: ['istio-system/jaeger-collector.istio-system.svc.cluster.local'] },
    ]);
    expect(of(again, 'NetworkPolicy', 'httpbin').spec.egress).toHaveLength(2);
  });

  test('sidecar scoping and NetworkPolicies can be turned off', () => {
    const { chart } = demo({ sidecarScoping: false, networkPolicies: false });
    const kinds = Testing.synth(chart).map((o) => o.kind);
    expect(kinds).not.toContain('Sidecar');
    expect(kinds).not.toContain('NetworkPolicy');
  });

  test("a canaried app's primary pods (app=<name>-primary, set by Flagger) are covered too", () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'demo' });
    const httpbin = new MeshApp(chart, 'httpbin', { image: 'go-httpbin:v2', ports: [{ port: 8000, targetPort: 8080 }] });
    httpbin.setRoutingController(new FakeCanary(chart, 'canary'));
    new ZeroTrustPolicy(chart, 'zero-trust', { apps: [httpbin] });
    const objects = Testing.synth(chart);
    expect(of(objects, 'AuthorizationPolicy', 'httpbin-primary').spec.selector).toEqual({ matchLabels: { app: 'httpbin-primary' } });
    expect(of(objects, 'Sidecar', 'httpbin-primary').spec.workloadSelector).toEqual({ labels: { app: 'httpbin-primary' } });
    expect(of(objects, 'NetworkPolicy', 'httpbin').spec.podSelector).toEqual({
      matchExpressions: [{ key: 'app', operator: 'In', values: ['httpbin', 'httpbin-primary'] }],
    });
  });

  test('stays linear: 1,000 apps in a chain synthesize quickly', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'load' });
    const policy = new ZeroTrustPolicy(chart, 'zero-trust');
    let previous: MeshApp | undefined;
    for (let i = 0; i < 1000; i++) {
      const app = new MeshApp(chart, `app-${i}`, { image: 'x:1', ports: [{ port: 80 }] });
      if (previous) previous.calls(app);
      policy.addApp(app);
      previous = app;
    }
    const started = Date.now();
    const objects = Testing.synth(chart);
    expect(Date.now() - started).toBeLessThan(20000);
    expect(of(objects, 'AuthorizationPolicy', 'app-500').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/load/sa/app-499'] } }] },
    ]);
  });
});

class FakeCanary extends Construct implements IRoutingController {
  readonly controllerKind = 'CanaryRelease';
  applyTrafficSettings(): void {}
}

describe('ZeroTrustPolicy fails when', () => {
  const expectError = (fn: () => unknown, ...parts: (string | RegExp)[]) => {
    let message = '';
    try {
      fn();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^ZeroTrust(Policy|Chart) test\//);
    for (const part of parts) expect(message).toMatch(part);
  };

  test('an app is added twice', () => {
    const { httpbin, policy } = demo();
    expectError(() => policy.addApp(httpbin), "app 'demo/httpbin' is added twice");
  });

  test('a rule targets an app the policy does not govern', () => {
    const { chart, policy } = demo();
    const other: IMeshApp = new MeshApp(chart, 'other', { image: 'x:1', ports: [{ port: 80 }] });
    expectError(() => policy.allow(Peer.anyone(), other), "'demo/other' is not governed", /addApp/);
  });

  test('an app is exposed without a gateway, or twice', () => {
    const { httpbin, policy } = demo({ ingressGateway: undefined });
    expectError(() => policy.expose(httpbin), 'no ingressGateway', /set the ingressGateway prop/);
    const second = demo();
    second.policy.expose(second.httpbin);
    expectError(() => second.policy.expose(second.httpbin), 'exposed twice');
  });

  test('the tracing collector is not a Service of the cluster, or its port is not a port', () => {
    expectError(
      () => demo({ tracingCollector: { service: 'jaeger', port: 4317 } }),
      "tracingCollector service 'jaeger' is not a Service of the cluster",
      /jaeger\.observability\.svc\.cluster\.local/,
    );
    expectError(
      () => demo({ tracingCollector: { service: 'jaeger.observability.svc.cluster.local', port: 0 } }),
      'tracingCollector port 0 is not a port number',
      /1-65535/,
    );
  });

  test('the gateway identity is not a namespace and service account', () => {
    expectError(
      () => demo({ ingressGateway: { namespace: 'Istio System', serviceAccount: 'gw' } }),
      'ingressGateway Istio System/gw',
      /istio-system\/istio-ingressgateway/,
    );
  });

  test('an app is allowed to call without declaring the dependency', () => {
    const { httpbin, sleep, policy } = demo();
    expectError(() => policy.allow(sleep, httpbin), 'does not declare that dependency', /sleep\.calls\(httpbin\)/);
  });

  test('a rule names no caller, a caller twice, or anyone with others', () => {
    const { httpbin, sleep, policy } = demo();
    sleep.calls(httpbin);
    expectError(() => policy.allow([], httpbin), 'names no caller');
    expectError(() => policy.allow([sleep, sleep], httpbin), 'names caller demo/sleep twice');
    expectError(() => policy.allow([sleep, Peer.anyone()], httpbin), 'mixes Peer.anyone()');
  });

  test('a method is not upper case, a path is not an Istio match, a header name is invalid', () => {
    const { httpbin, policy } = demo();
    expectError(() => policy.allow(Peer.namespace('demo'), httpbin).onMethods('get'), "method 'get'", /use 'GET'/);
    expectError(() => policy.allow(Peer.namespace('demo'), httpbin).onPaths('/a*b'), "path '/a*b'", /prefix '\/api\/\*'/);
    expectError(() => policy.allow(Peer.namespace('demo'), httpbin).whenHeader('x token', HeaderMatch.present()), "header name 'x token'");
  });

  test('a refinement is set twice, contradicts its not-field, is empty, or names an unknown port', () => {
    const { httpbin, policy } = demo();
    expectError(() => policy.allow(Peer.namespace('demo'), httpbin).onMethods('GET').onMethods('POST'), 'methods is set twice');
    expectError(() => policy.allow(Peer.namespace('demo'), httpbin).onPaths('/a').exceptPaths('/b'), 'sets both notPaths and paths');
    expectError(() => policy.allow(Peer.namespace('demo'), httpbin).onMethods(), 'methods is empty');
    expectError(() => policy.allow(Peer.namespace('demo'), httpbin).onPorts(9999), 'port 9999 is not a port of demo/httpbin', /8000/);
    expectError(
      () =>
        policy.allow(Peer.namespace('demo'), httpbin).whenHeader('x-a', HeaderMatch.present()).whenHeader('x-a', HeaderMatch.exact('1')),
      'set twice',
    );
    expectError(() => policy.allow(Peer.namespace('demo'), httpbin).whenHeader('x-a'), 'lists no match');
  });

  test('a header match contains a wildcard itself', () => {
    expect(() => HeaderMatch.prefix('te*')).toThrow(/HeaderMatch.prefix\("te\*"\).*without '\*'/);
  });

  test('HTTP refinements target an app that serves no HTTP port', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'demo' });
    const db = new MeshApp(chart, 'db', { image: 'x:1', ports: [{ port: 5432, protocol: Protocol.TCP }] });
    const policy = new ZeroTrustPolicy(chart, 'zero-trust', { apps: [db] });
    expectError(
      () => policy.allow(Peer.namespace('demo'), db).onPaths('/x'),
      'ALLOW rule to demo/db: matches HTTP',
      'serves no HTTP port',
      /use onPorts/,
    );
    expectError(() => policy.deny(Peer.namespace('demo'), db).whenHeader('x-a', HeaderMatch.present()), 'serves no HTTP port');
    policy.allow(Peer.namespace('demo'), db).onPorts(5432);
  });

  test('a JWT issuer has a plain-http jwksUri, a bad issuer, or is added twice', () => {
    const { httpbin, policy } = demo();
    expectError(
      () => policy.addJwtIssuer(httpbin, { issuer: 'https://id', jwksUri: 'http://id/jwks' }),
      "jwksUri 'http://id/jwks'",
      /use https/,
    );
    expectError(() => policy.addJwtIssuer(httpbin, { issuer: 'a b', jwksUri: 'https://id/jwks' }), "issuer 'a b'");
    policy.addJwtIssuer(httpbin, { issuer: 'https://id', jwksUri: 'https://id/jwks' });
    expectError(() => policy.addJwtIssuer(httpbin, { issuer: 'https://id', jwksUri: 'https://id/jwks' }), 'added twice');
  });

  test('an mTLS exception names an unknown port, repeats the mesh mode, or is set twice', () => {
    const { httpbin, policy } = demo();
    expectError(() => policy.addMtlsException(httpbin, 1, MtlsMode.PERMISSIVE), 'port 1 is not a port of demo/httpbin');
    expectError(() => policy.addMtlsException(httpbin, 8000, MtlsMode.STRICT), 'STRICT, the mesh-wide mode already');
    policy.addMtlsException(httpbin, 8000, MtlsMode.PERMISSIVE);
    expectError(() => policy.addMtlsException(httpbin, 8000, MtlsMode.DISABLE), 'set twice');
  });

  test('an egress host is not <namespace>/<host>, or is added twice', () => {
    const { sleep, policy } = demo();
    expectError(() => policy.allowEgress(sleep, 'api.example.com'), "egress host 'api.example.com'", /<namespace>\/<dnsName>/);
    policy.allowEgress(sleep, './*');
    expectError(() => policy.allowEgress(sleep, './*'), 'added twice');
  });

  test('a DestinationRule disables TLS toward a STRICT workload', () => {
    const { chart, httpbin } = demo();
    new DestinationRule(chart, 'dr', {
      metadata: { name: 'httpbin' },
      spec: { host: 'httpbin', trafficPolicy: { tls: { mode: DestinationRuleSpecTrafficPolicyTlsMode.DISABLE } } },
    });
    expect(httpbin.host).toBe('httpbin.demo.svc.cluster.local');
    const problems = chart.node.findAll().flatMap((c) => c.node.validate());
    expect(problems).toEqual([
      expect.stringMatching(
        /^ZeroTrustPolicy test\/zero-trust: DestinationRule demo\/httpbin sets tls mode DISABLE toward demo\/httpbin port 8000.*STRICT.*use ISTIO_MUTUAL/,
      ),
    ]);
  });

  test('a DestinationRule originates mTLS toward a port whose mTLS is disabled', () => {
    const { chart, httpbin, policy } = demo();
    policy.addMtlsException(httpbin, 8000, MtlsMode.DISABLE);
    new DestinationRule(chart, 'dr', {
      metadata: { name: 'httpbin' },
      spec: {
        host: 'httpbin.demo.svc.cluster.local',
        trafficPolicy: {
          portLevelSettings: [
            { port: { number: 8000 }, tls: { mode: DestinationRuleSpecTrafficPolicyPortLevelSettingsTlsMode.ISTIO_UNDERSCORE_MUTUAL } },
          ],
        },
      },
    });
    expect(chart.node.findAll().flatMap((c) => c.node.validate())).toEqual([
      expect.stringMatching(/tls mode ISTIO_MUTUAL toward demo\/httpbin port 8000.*DISABLE/),
    ]);
  });
});

describe('ZeroTrustPolicy and routing controllers', () => {
  test('an app canaried after it was added gets its objects for its primary pods too, at synthesis', () => {
    const { chart, httpbin } = demo();
    httpbin.setRoutingController(new FakeCanary(chart, 'canary'));
    expect(chart.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
    const objects = Testing.synth(chart);
    expect(of(objects, 'AuthorizationPolicy', 'httpbin-primary').spec.selector).toEqual({ matchLabels: { app: 'httpbin-primary' } });
    expect(of(objects, 'Sidecar', 'httpbin-primary').spec.workloadSelector).toEqual({ labels: { app: 'httpbin-primary' } });
    expect(of(objects, 'NetworkPolicy', 'httpbin').spec.podSelector).toEqual({
      matchExpressions: [{ key: 'app', operator: 'In', values: ['httpbin', 'httpbin-primary'] }],
    });
  });
});

describe('ZeroTrustPolicy reads apps through IMeshApp', () => {
  /** An app of the mesh that is not a MeshApp (e.g. a team's own construct). */
  class TeamApp extends Construct implements IMeshApp {
    readonly namespace = 'demo';
    readonly serviceAccountName: string;
    readonly ports = [{ name: 'http', port: 80, targetPort: 8080, protocol: Protocol.HTTP }] as any;
    readonly versions = ['v1'];
    readonly host: string;
    constructor(
      scope: Construct,
      readonly name: string,
      readonly dependencies: readonly IMeshApp[] = [],
    ) {
      super(scope, name);
      this.serviceAccountName = name;
      this.host = `${name}.demo.svc.cluster.local`;
    }
  }

  test("the dependencies of any IMeshApp are its Sidecar's egress and its target's allowed callers", () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'demo' });
    const api = new TeamApp(chart, 'api');
    const web = new TeamApp(chart, 'web', [api]);
    new ZeroTrustPolicy(chart, 'zero-trust', { apps: [api, web] });
    const objects = Testing.synth(chart);
    expect(of(objects, 'Sidecar', 'web').spec.egress[0].hosts).toContain('demo/api.demo.svc.cluster.local');
    expect(of(objects, 'AuthorizationPolicy', 'api').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/demo/sa/web'] } }] },
    ]);
  });
});

describe('ZeroTrustChart fails when', () => {
  /** Builds a production ZeroTrustChart of no apps with `overrides`. */
  const chart = (overrides: Partial<ZeroTrustChartProps>) => () =>
    new ZeroTrustChart(Testing.app(), 'zero-trust', productionZeroTrust({ apps: [], ...overrides }));

  test('production is not STRICT', () => {
    expect(chart({ mtls: MtlsMode.PERMISSIVE })).toThrow(
      /^ZeroTrustChart zero-trust: production requires STRICT mTLS, but mesh:istio.mtls is PERMISSIVE; set mesh:istio.mtls: STRICT/,
    );
  });

  test('production has no default deny', () => {
    expect(chart({ defaultDeny: false })).toThrow(
      /production requires default deny, but mesh:security.defaultDeny is false; set it to true/,
    );
  });

  test('an exposed app does not exist', () => {
    expect(chart({ exposedApps: ['nope'] })).toThrow(/mesh:security.exposedApps names 'nope', which is not an app of this environment/);
  });
});

describe('ZeroTrustChart', () => {
  test('exposes an app whose gateway route is created after the chart (routes are read at synthesis)', () => {
    const app = Testing.app();
    const apps = new Chart(app, 'apps', { namespace: 'shop' });
    const web = new MeshApp(apps, 'web', { image: 'x:1', ports: [{ port: 80 }] });
    const chart = new ZeroTrustChart(app, 'zero-trust', productionZeroTrust({ apps: [web] }));
    // Created last: before the fix, the gateway had no ALLOW rule and every request through it was denied.
    new VirtualService(apps, 'vs', {
      metadata: { name: 'web' },
      spec: {
        hosts: ['*'],
        gateways: ['istio-system/public-gateway'],
        http: [{ route: [{ destination: { host: 'web.shop.svc.cluster.local' } }] }],
      },
    });
    const objects = Testing.synth(chart);
    expect(of(objects, 'AuthorizationPolicy', 'web').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway'] } }] },
    ]);
    expect(JSON.stringify(of(objects, 'NetworkPolicy', 'web').spec.ingress)).toContain('"istio":"ingressgateway"');
  });

  test('exposes the apps routed from a gateway and lets Flagger load testers call canaried apps', () => {
    const app = Testing.app();
    const apps = new Chart(app, 'apps', { namespace: 'shop' });
    const web = new MeshApp(apps, 'web', { image: 'x:1', ports: [{ port: 80 }] });
    const api = new MeshApp(apps, 'api', { image: 'x:1', ports: [{ port: 80 }] });
    web.calls(api);
    new VirtualService(apps, 'vs', {
      metadata: { name: 'web' },
      spec: { hosts: ['*'], gateways: ['istio-system/public-gateway'], http: [{ route: [{ destination: { host: 'web' } }] }] },
    });
    new VirtualService(apps, 'internal', {
      metadata: { name: 'api' },
      spec: { hosts: ['api'], gateways: ['mesh'], http: [{ route: [{ destination: { host: 'api' } }] }] },
    });
    new Canary(apps, 'canary', {
      metadata: { name: 'api' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: CanarySpecTargetRefKind.DEPLOYMENT, name: 'api' },
        service: { port: 80 },
        analysis: { webhooks: [{ name: 'load-test', url: 'http://flagger-loadtester.test/' }] },
      },
    });
    const chart = new ZeroTrustChart(app, 'zero-trust', productionZeroTrust({ apps: [web, api] }));
    const objects = Testing.synth(chart);
    expect(of(objects, 'AuthorizationPolicy', 'web').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway'] } }] },
    ]);
    expect(of(objects, 'AuthorizationPolicy', 'api').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] },
      { from: [{ source: { namespaces: ['test'] } }] },
    ]);
  });
});
