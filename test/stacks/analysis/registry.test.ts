import { ApiObject, App } from 'cdk8s';
import { Layer, LayerChart } from '../../../charts';
import { KubeObject } from '../../../constructs/core/kube-object';
import { IGNORE_ANNOTATION } from '../../../stacks/analysis/analyzer';
import { analyze, ANALYZERS, AnalysisError, formatFinding } from '../../../stacks/analysis/registry';
import { renderCharts } from '../../../stacks/engines/render';
import { kubeObject as obj } from '../../support/kube-objects';

const service = (ns: string, name: string) =>
  obj('v1', 'Service', ns, name, { selector: { app: name }, ports: [{ name: 'http', port: 80 }] });
const deployment = (ns: string, name: string) =>
  obj('apps/v1', 'Deployment', ns, name, { template: { metadata: { labels: { app: name } }, spec: { containers: [] } } });
const vs = (ns: string, name: string, spec: object, annotations?: Record<string, string>) =>
  obj('networking.istio.io/v1', 'VirtualService', ns, name, spec, annotations);
const route = (host: string, subset?: string) => ({ route: [{ destination: { host, ...(subset ? { subset } : {}) } }] });
const codes = (objects: KubeObject[]) => analyze({ objects }).findings.map((f) => f.code);
const base = [service('demo', 'httpbin'), deployment('demo', 'httpbin')];

describe('the analyzer registry', () => {
  test('codes are unique and stable in shape; every analyzer has a name and a description', () => {
    const all = ANALYZERS.map((a) => a.code);
    expect(new Set(all).size).toBe(all.length);
    for (const a of ANALYZERS) {
      expect(a.code).toMatch(/^(IST|MESH)\d{4}$/);
      expect(a.name).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(a.description.length).toBeGreaterThan(20);
    }
  });

  test('IST0101 fires on a route to a host that does not exist, naming the field; a route to a Service is clean', () => {
    const [f] = analyze({ objects: [...base, vs('demo', 'r', { hosts: ['httpbin'], http: [route('httbin')] })] }).findings;
    expect(f).toMatchObject({ code: 'IST0101', name: 'ReferencedResourceNotFound', severity: 'error', object: 'VirtualService demo/r' });
    expect(f.message).toContain("spec.http[0].route[0].destination.host 'httbin' (httbin.demo.svc.cluster.local) is no Service");
    expect(formatFinding(f)).toMatch(/^error \[IST0101\] VirtualService demo\/r: .*; fix: route to an existing Service/);
    expect(codes([...base, vs('demo', 'r', { hosts: ['httpbin'], http: [route('httpbin.demo')] })])).toEqual([]);
  });

  test('IST0101: an external host needs a ServiceEntry; a host of a namespace a Helm release installs into is not judged', () => {
    expect(codes([...base, vs('demo', 'r', { hosts: ['httpbin'], http: [route('httpbin.org')] })])).toEqual(['IST0101']);
    const entry = obj('networking.istio.io/v1', 'ServiceEntry', 'demo', 'org', { hosts: ['*.org'] });
    expect(codes([...base, entry, vs('demo', 'r', { hosts: ['httpbin'], http: [route('httpbin.org')] })])).toEqual([]);
    const release = obj('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'flux-system', 'grafana', { targetNamespace: 'observability' });
    expect(codes([...base, release, vs('demo', 'r', { hosts: ['httpbin'], http: [route('grafana.observability')] })])).toEqual([]);
  });

  test('IST0101 fires on a subset no DestinationRule defines and on an unknown gateway; defined ones are clean', () => {
    const dr = obj('networking.istio.io/v1', 'DestinationRule', 'demo', 'httpbin', { host: 'httpbin', subsets: [{ name: 'v1' }] });
    const gw = obj('networking.istio.io/v1', 'Gateway', 'istio-ingress', 'public', { servers: [{ hosts: ['*/*'] }] });
    const bad = analyze({
      objects: [
        ...base,
        dr,
        gw,
        vs('demo', 'r', { hosts: ['httpbin'], gateways: ['istio-ingress/private'], http: [route('httpbin', 'v2')] }),
      ],
    }).findings;
    expect(bad.map((f) => f.message)).toEqual([
      expect.stringContaining("subset 'v2' of host httpbin.demo.svc.cluster.local is defined by no DestinationRule (subsets: v1)"),
      expect.stringContaining(
        "spec.gateways[0] 'istio-ingress/private' names no Gateway of this environment (gateways: istio-ingress/public)",
      ),
    ]);
    expect(
      codes([
        ...base,
        dr,
        gw,
        vs('demo', 'r', { hosts: ['httpbin'], gateways: ['istio-ingress/public', 'mesh'], http: [route('httpbin', 'v1')] }),
      ]),
    ).toEqual([]);
  });

  test('IST0101 fires on a DestinationRule for a host that does not exist', () => {
    const dr = obj('networking.istio.io/v1', 'DestinationRule', 'demo', 'ghost', { host: 'ghost' });
    expect(analyze({ objects: [...base, dr] }).findings.map((f) => f.object)).toEqual(['DestinationRule demo/ghost']);
  });

  test('IST0109 fires on two VirtualServices for one host in the mesh; one for the mesh and one for a gateway is clean', () => {
    const a = vs('demo', 'a', { hosts: ['httpbin'], http: [route('httpbin')] });
    const b = vs('demo', 'b', { hosts: ['httpbin.demo.svc.cluster.local'], http: [route('httpbin')] });
    const [f] = analyze({ objects: [...base, a, b] }).findings;
    expect(f).toMatchObject({ code: 'IST0109', object: 'VirtualService demo/b' });
    expect(f.message).toContain('host httpbin.demo.svc.cluster.local is also routed for the mesh gateway by VirtualService demo/a');
    const gw = obj('networking.istio.io/v1', 'Gateway', 'demo', 'gw', { servers: [{ hosts: ['*/*'] }] });
    expect(codes([...base, gw, a, vs('demo', 'b', { hosts: ['httpbin'], gateways: ['gw'], http: [route('httpbin')] })])).toEqual([]);
  });

  test('IST0111 fires on two Sidecars without a workloadSelector in one namespace; one of each is clean', () => {
    const sidecar = (name: string, spec: object = {}) => obj('networking.istio.io/v1', 'Sidecar', 'demo', name, spec);
    expect(codes([...base, sidecar('a'), sidecar('b')])).toEqual(['IST0111', 'IST0111']);
    expect(codes([...base, sidecar('a'), sidecar('b', { workloadSelector: { labels: { app: 'httpbin' } } })])).toEqual([]);
  });

  test('MESH0006 warns on an AuthorizationPolicy selecting no pod; one selecting a Deployment is clean', () => {
    const ap = (app: string) => obj('security.istio.io/v1', 'AuthorizationPolicy', 'demo', app, { selector: { matchLabels: { app } } });
    const [f] = analyze({ objects: [...base, ap('htpbin')] }).findings;
    expect(f).toMatchObject({ code: 'MESH0006', severity: 'warning', object: 'AuthorizationPolicy demo/htpbin' });
    expect(f.message).toContain('spec.selector.matchLabels {"app":"htpbin"} selects no pod of namespace demo');
    expect(codes([...base, ap('httpbin')])).toEqual([]);
  });

  test('MESH0007 fires on a DENY policy without rules; a DENY with rules and an ALLOW without rules are clean', () => {
    const ap = (name: string, spec: object) => obj('security.istio.io/v1', 'AuthorizationPolicy', 'demo', name, spec);
    expect(codes([...base, ap('deny', { action: 'DENY' })])).toEqual(['MESH0007']);
    expect(codes([...base, ap('deny', { action: 'DENY', rules: [{}] }), ap('allow-nothing', { action: 'ALLOW' })])).toEqual([]);
  });

  test('the ignore annotation opts one object out of one code, with its reason; a malformed entry is MESH0100', () => {
    const r = vs(
      'demo',
      'r',
      { hosts: ['httpbin'], http: [route('legacy')] },
      { [IGNORE_ANNOTATION]: 'IST0101=legacy is created by the operator' },
    );
    const result = analyze({ objects: [...base, r] });
    expect(result.findings).toEqual([]);
    expect(result.ignored).toEqual([expect.objectContaining({ code: 'IST0101', reason: 'legacy is created by the operator' })]);
    const other = vs('demo', 'r', { hosts: ['httpbin'], http: [route('legacy')] }, { [IGNORE_ANNOTATION]: 'MESH0006=unrelated; IST0101' });
    expect(codes([...base, other])).toEqual(['IST0101', 'MESH0100']);
  });

  test('the synth runs the Flagger collision check (MESH0005): an own VirtualService for a canaried host fails renderCharts', () => {
    const app = new App();
    const chart = new LayerChart(app, 'apps', { layer: Layer.APPS });
    const add = (o: KubeObject) => new ApiObject(chart, `${o.kind}-${o.metadata.name}`, o as never);
    [
      deployment('demo', 'httpbin'),
      obj('flagger.app/v1beta1', 'Canary', 'demo', 'httpbin', { targetRef: { kind: 'Deployment', name: 'httpbin' } }),
    ].forEach(add);
    const clusterApiGroups = ['flagger.app', 'networking.istio.io'];
    expect(() => renderCharts(app, { clusterApiGroups })).not.toThrow();
    add(vs('demo', 'httpbin-own', { hosts: ['httpbin'], http: [route('httpbin')] }));
    expect(() => renderCharts(app, { clusterApiGroups })).toThrow(
      '[MESH0005] VirtualService demo/httpbin-own routes host httpbin, whose routing Canary demo/httpbin owns; one VirtualService per host',
    );
    expect(() => renderCharts(app, { clusterApiGroups })).toThrow(AnalysisError);
  });
});

describe('more analyzers', () => {
  const gateway = (servers: string[]) =>
    obj('networking.istio.io/v1', 'Gateway', 'istio-ingress', 'public', { servers: [{ hosts: servers }] });

  test('IST0132 fires on a gateway-bound host no server of the Gateway serves; a served host (or wildcard) is clean', () => {
    const bound = (host: string) => vs('demo', 'r', { hosts: [host], gateways: ['istio-ingress/public'], http: [route('httpbin')] });
    const [f] = analyze({ objects: [...base, gateway(['*/shop.example.com']), bound('httpbin.example.com')] }).findings;
    expect(f).toMatchObject({ code: 'IST0132', object: 'VirtualService demo/r' });
    expect(f.message).toContain(
      "host 'httpbin.example.com' is served by no server of Gateway istio-ingress/public (its hosts: */shop.example.com)",
    );
    expect(codes([...base, gateway(['*/*.example.com']), bound('httpbin.example.com')])).toEqual([]);
    expect(codes([...base, gateway(['demo/httpbin.example.com']), bound('httpbin.example.com')])).toEqual([]);
    expect(codes([...base, gateway(['other/httpbin.example.com']), bound('httpbin.example.com')])).toEqual(['IST0132']);
  });

  test('MESH0008 fires on routing by a JWT claim without a RequestAuthentication; with one it is clean', () => {
    const claims = vs('demo', 'r', {
      hosts: ['httpbin'],
      http: [{ match: [{ headers: { '@request.auth.claims.group': { exact: 'beta' } } }], ...route('httpbin') }, route('httpbin')],
    });
    expect(analyze({ objects: [...base, claims] }).findings.map((f) => [f.code, f.message])).toEqual([
      [
        'MESH0008',
        expect.stringContaining('routes on @request.auth.claims.group, but no RequestAuthentication validates a JWT in demo, istio-system'),
      ],
    ]);
    const ra = obj('security.istio.io/v1', 'RequestAuthentication', 'demo', 'jwt', { jwtRules: [{ issuer: 'https://id.example.com' }] });
    expect(codes([...base, ra, claims])).toEqual([]);
  });

  test('MESH0009 warns on a subset whose labels select no pod of the Service; a subset of a deployed version is clean', () => {
    const dr = (version: string) =>
      obj('networking.istio.io/v1', 'DestinationRule', 'demo', 'httpbin', {
        host: 'httpbin',
        subsets: [{ name: version, labels: { version } }],
      });
    const v1 = obj('apps/v1', 'Deployment', 'demo', 'httpbin-v1', {
      template: { metadata: { labels: { app: 'httpbin', version: 'v1' } } },
    });
    const [f] = analyze({ objects: [...base, v1, dr('v2')] }).findings;
    expect(f).toMatchObject({ code: 'MESH0009', severity: 'warning', object: 'DestinationRule demo/httpbin' });
    expect(f.message).toContain(`subset 'v2' (labels {"version":"v2"}) selects no pod of Service httpbin.demo.svc.cluster.local`);
    expect(codes([...base, v1, dr('v1')])).toEqual([]);
  });
});
