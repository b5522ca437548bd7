import { KubeObject } from '../../../constructs/core/kube-object';
import { checkWorkloadRules } from '../../../stacks/analysis/workload-rules';

const namespace = (name: string, injected = true): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: injected ? { 'istio-injection': 'enabled' } : {} },
});
const service = (
  name: string,
  selector: Record<string, string>,
  ports: { name: string; port: number; targetPort: number }[],
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'demo' },
  spec: { selector, ports },
});
const deployment = (name: string, labels: Record<string, string>, ns = 'demo'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: { template: { metadata: { labels } } },
});

describe('checkWorkloadRules', () => {
  test('accepts pods behind Services with one protocol per port', () => {
    expect(
      checkWorkloadRules([
        namespace('demo'),
        service('httpbin', { app: 'httpbin' }, [{ name: 'http', port: 8000, targetPort: 8080 }]),
        service('httpbin-admin', { app: 'httpbin' }, [{ name: 'http-admin', port: 9000, targetPort: 8080 }]),
        deployment('httpbin', { app: 'httpbin', version: 'v1' }),
      ]),
    ).toEqual([]);
  });

  test('fails when two Services expose one container port with different protocols', () => {
    const [problem] = checkWorkloadRules([
      namespace('demo'),
      service('httpbin', { app: 'httpbin' }, [{ name: 'http', port: 8000, targetPort: 8080 }]),
      service('httpbin-raw', { app: 'httpbin' }, [{ name: 'tcp', port: 9000, targetPort: 8080 }]),
      deployment('httpbin', { app: 'httpbin' }),
    ]);
    expect(problem).toBe(
      'Services demo/httpbin (port 8000) and demo/httpbin-raw (port 9000) select the same pods and expose container port 8080 as http and as tcp; Istio needs one protocol per port: name both ports for the same protocol',
    );
  });

  test('a port named outside the convention counts as plain TCP', () => {
    expect(
      checkWorkloadRules([
        namespace('demo'),
        service('a', { app: 'x' }, [{ name: 'tornado', port: 1, targetPort: 80 }]),
        service('b', { app: 'x' }, [{ name: 'http', port: 2, targetPort: 80 }]),
        deployment('x', { app: 'x' }),
      ]),
    ).toHaveLength(1);
  });

  test('fails when a pod of an injected namespace has no Service', () => {
    const [problem] = checkWorkloadRules([namespace('demo'), deployment('orphan', { app: 'orphan', version: 'v1' })]);
    expect(problem).toMatch(/^apps\/v1 Deployment demo\/orphan: no Service selects its pods .* create one, e.g. with MeshApp$/);
  });

  test('pods outside injected namespaces are not the mesh’s business', () => {
    expect(checkWorkloadRules([namespace('legacy', false), deployment('batch', { app: 'batch' }, 'legacy')])).toEqual([]);
  });
});
