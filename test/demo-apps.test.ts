import { Testing } from 'cdk8s';
import { DEMO_IMAGES, DemoAppsChart } from '../charts';
import { presets } from '../stacks/config';

function synth(apps: ('httpbin' | 'sleep')[] = ['httpbin', 'sleep']) {
  const chart = new DemoAppsChart(Testing.app(), 'demo-apps', { namespace: 'demo', apps, workloads: presets.development.workloads });
  return { chart, objects: Testing.synth(chart) };
}
const find = (objects: any[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe('DemoAppsChart (scenario S2)', () => {
  const { chart, objects } = synth();

  test('namespace demo with sidecar injection', () => {
    expect(find(objects, 'Namespace', 'demo')).toMatchObject({ metadata: { labels: { 'istio-injection': 'enabled' } } });
  });

  test('httpbin: ServiceAccount, Service port 8000 named http to the container port, labels app and version', () => {
    expect(find(objects, 'ServiceAccount', 'httpbin')).toBeDefined();
    expect(find(objects, 'Service', 'httpbin').spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 8080, protocol: 'TCP' }]);
    const deploy = find(objects, 'Deployment', 'httpbin');
    expect(deploy.spec.template.metadata.labels).toEqual({ app: 'httpbin', version: 'v1' });
    expect(deploy.spec.template.spec.containers[0]).toMatchObject({ image: DEMO_IMAGES.httpbin, ports: [{ containerPort: 8080 }] });
    expect(DEMO_IMAGES.httpbin).toMatch(/mccutchen\/go-httpbin:v\d/);
  });

  test('sleep: its own ServiceAccount, Service port 80 named http, a curl client sleeping forever, the optional TLS secret', () => {
    expect(find(objects, 'ServiceAccount', 'sleep')).toBeDefined();
    expect(find(objects, 'Service', 'sleep').spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }]);
    const pod = find(objects, 'Deployment', 'sleep').spec.template.spec;
    expect(pod.containers[0]).toMatchObject({ image: DEMO_IMAGES.sleep, command: ['/bin/sleep', 'infinity'] });
    expect(pod.volumes).toContainEqual({ name: 'secret-0', secret: { secretName: 'sleep-secret', optional: true } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ mountPath: '/etc/sleep/tls', name: 'secret-0', readOnly: true });
  });

  test('sleep calls httpbin (the dependency the security policies are generated from)', () => {
    expect(chart.sleep!.dependencies).toEqual([chart.httpbin]);
  });

  test('deploys only the apps asked for', () => {
    const only = synth(['httpbin']).objects;
    expect(find(only, 'Deployment', 'sleep')).toBeUndefined();
    expect(find(only, 'Deployment', 'httpbin')).toBeDefined();
  });
});
