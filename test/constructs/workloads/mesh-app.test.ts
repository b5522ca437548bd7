import { Chart, Testing } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import * as kplus from 'cdk8s-plus-27';
import { MeshApp, MeshAppProps, MeshNamespace, MeshValidationError, Protocol } from '../../../constructs';

function chart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'demo' });
}

function objects(c: Chart, kind?: string): any[] {
  return Testing.synth(c).filter((o) => !kind || o.kind === kind);
}

const minimal: MeshAppProps = { image: 'example/app:1.0', ports: [{ port: 8000, targetPort: 8080 }] };

function failure(props: Partial<MeshAppProps>, id = 'app'): string {
  try {
    new MeshApp(chart(), id, { ...minimal, ...props });
  } catch (e) {
    expect(e).toBeInstanceOf(MeshValidationError);
    return (e as Error).message;
  }
  throw new Error('expected MeshApp to fail');
}

describe('MeshApp', () => {
  test('generates a ServiceAccount, a Service and a Deployment that Istio can use', () => {
    const c = chart();
    new MeshApp(c, 'httpbin', minimal);
    const [sa] = objects(c, 'ServiceAccount');
    const [svc] = objects(c, 'Service');
    const [deploy] = objects(c, 'Deployment');
    expect(sa).toMatchObject({ metadata: { name: 'httpbin', namespace: 'demo' }, automountServiceAccountToken: false });
    expect(svc).toMatchObject({
      metadata: { name: 'httpbin', namespace: 'demo', labels: { app: 'httpbin' } },
      spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 8000, targetPort: 8080, protocol: 'TCP' }] },
    });
    expect(deploy).toMatchObject({
      metadata: { name: 'httpbin', namespace: 'demo', labels: { app: 'httpbin', version: 'v1' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'httpbin', version: 'v1' } },
        template: { metadata: { labels: { app: 'httpbin', version: 'v1' } }, spec: { serviceAccountName: 'httpbin' } },
      },
    });
    expect(Object.keys(deploy.spec.template.metadata.labels).sort()).toEqual(['app', 'version']);
  });

  test('every pod is selected by its Service', () => {
    const c = chart();
    new MeshApp(c, 'reviews', { ...minimal, versions: [{ name: 'v1' }, { name: 'v2' }, { name: 'v3' }] });
    const [svc] = objects(c, 'Service');
    for (const d of objects(c, 'Deployment')) {
      const labels = d.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k]).toBe(v);
    }
  });

  test('one Deployment per version, named <app>-<version>, behind one Service', () => {
    const c = chart();
    new MeshApp(c, 'reviews', {
      ...minimal,
      versions: [{ name: 'v1' }, { name: 'v2', image: 'example/app:2.0', env: { STARS: 'black' } }],
    });
    const deployments = objects(c, 'Deployment');
    expect(deployments.map((d) => d.metadata.name)).toEqual(['reviews-v1', 'reviews-v2']);
    expect(deployments[1].spec.template.spec.containers[0]).toMatchObject({
      image: 'example/app:2.0',
      env: [{ name: 'STARS', value: 'black' }],
    });
    expect(objects(c, 'Service')).toHaveLength(1);
  });

  test('containers are non-root, unprivileged, without capabilities, with requests, limits and probes', () => {
    const c = chart();
    new MeshApp(c, 'app', minimal);
    const [deploy] = objects(c, 'Deployment');
    const pod = deploy.spec.template.spec;
    const [container] = pod.containers;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 1000,
      runAsNonRoot: true,
      runAsUser: 1000,
    });
    expect(container.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/', port: 8080 } });
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: '/', port: 8080 }, initialDelaySeconds: 10 });
    expect(container.ports).toEqual([{ containerPort: 8080, name: 'http', protocol: 'TCP' }]);
  });

  test('a non-HTTP app is probed on TCP', () => {
    const c = chart();
    new MeshApp(c, 'db', { image: 'example/db:1', ports: [{ port: 27017, protocol: Protocol.MONGO }] });
    const [container] = objects(c, 'Deployment')[0].spec.template.spec.containers;
    expect(container.readinessProbe).toMatchObject({ tcpSocket: { port: 27017 } });
    expect(objects(c, 'Service')[0].spec.ports[0].name).toBe('mongo');
  });

  test('ports are named <protocol>[-suffix] from their protocol', () => {
    const c = chart();
    const app = new MeshApp(c, 'app', {
      image: 'example/app:1',
      ports: [
        { port: 8000, targetPort: 80 },
        { port: 8001, targetPort: 8888 },
        { port: 9000, protocol: Protocol.GRPC },
        { port: 9001, protocol: Protocol.TCP, name: 'tcp-admin' },
      ],
    });
    expect(app.ports.map((p) => p.name)).toEqual(['http-8000', 'http-8001', 'grpc', 'tcp-admin']);
    expect(objects(c, 'Service')[0].spec.ports.map((p: any) => p.name)).toEqual(['http-8000', 'http-8001', 'grpc', 'tcp-admin']);
  });

  test('an HPA (autoscaling/v2) per version replaces fixed replicas', () => {
    const c = chart();
    const app = new MeshApp(c, 'httpbin', { ...minimal, autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 99 } });
    const [hpa] = objects(c, 'HorizontalPodAutoscaler');
    expect(hpa).toMatchObject({
      apiVersion: 'autoscaling/v2',
      metadata: { name: 'httpbin' },
      spec: { minReplicas: 2, maxReplicas: 4, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'httpbin' } },
    });
    expect(hpa.spec.metrics[0]).toMatchObject({
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 99 } },
    });
    expect(objects(c, 'Deployment')[0].spec.replicas).toBeUndefined();
    expect(app.autoscalers.get('v1')).toBeDefined();
  });

  test('a PodDisruptionBudget (policy/v1) only where there are 2 or more replicas', () => {
    const c = chart();
    new MeshApp(c, 'one', { ...minimal, podDisruptionBudget: true });
    new MeshApp(c, 'two', { ...minimal, podDisruptionBudget: true, replicas: 2 });
    const budgets = objects(c, 'PodDisruptionBudget');
    expect(budgets).toHaveLength(1);
    expect(budgets[0]).toMatchObject({
      apiVersion: 'policy/v1',
      metadata: { name: 'two' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'two', version: 'v1' } } },
    });
  });

  test('sidecar injection can be overridden per app', () => {
    const c = chart();
    new MeshApp(c, 'job', { ...minimal, sidecarInjection: false });
    expect(objects(c, 'Deployment')[0].spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('false');
  });

  test('secrets are mounted read-only by reference, writable paths get an emptyDir', () => {
    const c = chart();
    new MeshApp(c, 'sleep', {
      ...minimal,
      writablePaths: ['/tmp'],
      secretMounts: [{ secretName: 'sleep-secret', mountPath: '/etc/sleep/tls', optional: true }],
    });
    const pod = objects(c, 'Deployment')[0].spec.template.spec;
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'secret-0', secret: { secretName: 'sleep-secret', optional: true } },
        { name: 'writable-0', emptyDir: {} },
      ]),
    );
    expect(pod.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([
        { mountPath: '/etc/sleep/tls', name: 'secret-0', readOnly: true },
        { mountPath: '/tmp', name: 'writable-0' },
      ]),
    );
    expect(objects(c, 'Secret')).toHaveLength(0);
  });

  test('dependencies are typed references, kept in declaration order', () => {
    const c = chart();
    const httpbin = new MeshApp(c, 'httpbin', minimal);
    const other = new MeshApp(c, 'other', minimal);
    const sleep = new MeshApp(c, 'sleep', minimal).calls(httpbin, other);
    expect(sleep.dependencies).toEqual([httpbin, other]);
    expect(httpbin.host).toBe('httpbin.demo.svc.cluster.local');
  });
});

describe('MeshApp validation', () => {
  test("fails when a port name is not <protocol>[-suffix] (scenario S7's 'tornado')", () => {
    expect(failure({ ports: [{ port: 8001, targetPort: 8888, name: 'tornado' }] }, 'httpbin')).toBe(
      "MeshApp test/httpbin: port name 'tornado' is not <protocol>[-suffix], so Istio would treat port 8001 as plain TCP (no routing, retries or metrics); use 'http-tornado' or leave the name out",
    );
  });

  test('fails when a port name declares another protocol than the port', () => {
    expect(failure({ ports: [{ port: 9000, name: 'http-api', protocol: Protocol.GRPC }] })).toMatch(
      /port name 'http-api' declares protocol http but the port's protocol is grpc; use 'grpc'/,
    );
  });

  test('fails when one container port is exposed with two protocols', () => {
    expect(
      failure({
        ports: [
          { port: 80, targetPort: 8080 },
          { port: 81, targetPort: 8080, protocol: Protocol.TCP },
        ],
      }),
    ).toMatch(/container port 8080 is exposed as http \(port 80\) and as tcp \(port 81\); Istio needs one protocol per port/);
  });

  test('fails when there are no ports', () => {
    expect(failure({ ports: [] })).toMatch(/has no ports; every pod of the mesh must be behind a Service/);
  });

  test('fails when a port number is out of range', () => {
    expect(failure({ ports: [{ port: 70000 }] })).toMatch(/port 70000 is not a port number; use 1-65535/);
  });

  test('fails when two ports share a number or a name', () => {
    expect(failure({ ports: [{ port: 80 }, { port: 80, targetPort: 81, protocol: Protocol.TCP }] })).toMatch(/port 80 is declared twice/);
  });

  test('fails when the container would run as the proxy UID 1337', () => {
    expect(failure({ runAsUser: 1337 })).toMatch(/runAsUser 1337 is the UID of Istio's sidecar proxy.*use another UID such as 1000/);
  });

  test('fails when the container would run as root', () => {
    expect(failure({ runAsUser: 0 })).toMatch(/runAsUser 0 is not a non-root UID/);
  });

  test('fails when the name is not a DNS label', () => {
    expect(failure({ name: 'Http_Bin' })).toMatch(/name 'Http_Bin' is not a DNS-1123 label/);
  });

  test('fails when versions repeat or are empty', () => {
    expect(failure({ versions: [{ name: 'v1' }, { name: 'v1' }] })).toMatch(/version 'v1' is declared twice/);
    expect(failure({ versions: [] })).toMatch(/'versions' is empty/);
    expect(failure({ versions: [{ name: 'V 2' }] })).toMatch(/version 'V 2' is not a valid label value/);
  });

  test('fails when autoscaling is not a range', () => {
    expect(failure({ autoscaling: { minReplicas: 4, maxReplicas: 2, cpuUtilization: 80 } })).toMatch(
      /minReplicas 4 \/ maxReplicas 2 is not a range/,
    );
    expect(failure({ autoscaling: { minReplicas: 1, maxReplicas: 2, cpuUtilization: 0 } })).toMatch(/cpuUtilization 0 is out of range/);
  });

  test('fails when replicas are not positive', () => {
    expect(failure({ replicas: 0 })).toMatch(/replicas 0 is not a positive whole number/);
  });

  test('fails when requests exceed limits or quantities are malformed', () => {
    expect(failure({ resources: { requests: { cpu: '1', memory: '64Mi' }, limits: { cpu: '500m', memory: '64Mi' } } })).toMatch(
      /CPU request 1 exceeds its limit 500m/,
    );
    expect(failure({ resources: { requests: { cpu: '100m', memory: '64MB' }, limits: { cpu: '500m', memory: '64Mi' } } })).toMatch(
      /memory '64MB' is not a quantity/,
    );
  });

  test('fails when there is no namespace', () => {
    expect(() => new MeshApp(new Chart(Testing.app(), 'nons'), 'app', minimal)).toThrow(/MeshApp nons\/app: no namespace/);
  });

  test('fails when a dependency is declared twice or on itself', () => {
    const c = chart();
    const a = new MeshApp(c, 'a', minimal);
    const b = new MeshApp(c, 'b', minimal);
    a.addDependency(b);
    expect(() => a.addDependency(b)).toThrow(/MeshApp test\/a: dependency on 'demo\/b' is declared twice/);
    expect(() => a.addDependency(a)).toThrow(/cannot depend on itself/);
  });

  test('fails when a second routing controller takes an app, or two constructs render its routes', () => {
    const c = chart();
    const app = new MeshApp(c, 'httpbin', minimal);
    const controller = (id: string) =>
      Object.assign(new Construct(c, id), { controllerKind: 'CanaryRelease', applyTrafficSettings: () => undefined });
    const renderer = (id: string) => Object.assign(new Construct(c, id), { handOverRoutes: () => undefined });
    app.setRoutingController(controller('canary'));
    expect(() => app.setRoutingController(controller('canary2'))).toThrow(
      'MeshApp test/httpbin: routing is already owned by CanaryRelease test/canary; an app can have one CanaryRelease',
    );
    expect(() => app.claimRoutes(renderer('route'))).toThrow(
      'MeshApp test/httpbin: test/route cannot render routes: CanaryRelease test/canary owns them; pass the settings to it',
    );
    const other = new MeshApp(c, 'other', minimal);
    other.claimRoutes(renderer('route-a'));
    expect(() => other.claimRoutes(renderer('route-b'))).toThrow(
      "MeshApp test/other: routes are rendered by test/route-a already; one VirtualService per host, so put test/route-b's settings there",
    );
  });

  test('a routing controller that comes after the route renderer takes the routes over, once', () => {
    const c = chart();
    const app = new MeshApp(c, 'httpbin', minimal);
    const handedTo: IConstruct[] = [];
    const route = Object.assign(new Construct(c, 'route'), { handOverRoutes: (to: IConstruct) => void handedTo.push(to) });
    app.claimRoutes(route);
    const canary = Object.assign(new Construct(c, 'canary'), { controllerKind: 'CanaryRelease', applyTrafficSettings: () => undefined });
    app.setRoutingController(canary);
    expect(handedTo).toEqual([canary]);
    expect(app.routingController).toBe(canary);
    // The renderer no longer holds the routes: the controller's owner message, not the renderer's, answers a new claim.
    expect(() => app.claimRoutes(route)).toThrow('test/route cannot render routes: CanaryRelease test/canary owns them');
  });

  test('fails when a mount path is relative', () => {
    expect(failure({ writablePaths: ['tmp'] })).toMatch(/mount path 'tmp' is not absolute/);
  });

  test('accepts a custom readiness probe', () => {
    const c = chart();
    new MeshApp(c, 'app', { ...minimal, readiness: kplus.Probe.fromCommand(['/bin/true']) });
    expect(objects(c, 'Deployment')[0].spec.template.spec.containers[0].readinessProbe).toMatchObject({ exec: { command: ['/bin/true'] } });
  });
});

describe('MeshNamespace', () => {
  test('labels the namespace for sidecar injection, cluster-scoped', () => {
    const c = chart();
    new MeshNamespace(c, 'demo');
    expect(objects(c, 'Namespace')).toEqual([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { 'istio-injection': 'enabled' } }, spec: {} },
    ]);
  });

  test('can opt a namespace out of injection', () => {
    const c = chart();
    new MeshNamespace(c, 'legacy', { sidecarInjection: false });
    expect(objects(c, 'Namespace')[0].metadata.labels['istio-injection']).toBe('disabled');
  });

  test('fails when the name is not a DNS label', () => {
    expect(() => new MeshNamespace(chart(), 'ns', { name: 'Demo' })).toThrow(
      "MeshNamespace test/ns: name 'Demo' is not a DNS-1123 label; use lowercase letters, digits and '-', such as 'demo'",
    );
  });
});
