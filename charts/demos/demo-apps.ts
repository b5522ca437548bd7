import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { invalid, MeshApp, MeshAppAutoscaling, MeshNamespace, Protocol, ResourceRequirements } from '../../constructs';
import { ExternalServiceSpec } from '../egress';
import { Layer, LayerChart } from '../layer';

/** Images of the demo apps, pinned. */
export const DEMO_IMAGES = {
  /** The maintained Go port of httpbin that Istio's samples use. */
  httpbin: 'docker.io/mccutchen/go-httpbin:v2.15.0',
  /** The curl client of Istio's `sleep`/`curl` sample. */
  sleep: 'docker.io/curlimages/curl:8.11.1',
} as const;

/** The workload defaults an environment gives its apps. */
export interface WorkloadDefaults {
  /** Replicas per version. */
  readonly replicas: number;
  /** Requests and limits per container. */
  readonly resources: ResourceRequirements;
  /** PodDisruptionBudget for versions with 2 or more replicas. */
  readonly podDisruptionBudget: boolean;
}

/** The demo apps of the environment (`bookinfo` is deployed by the BookinfoChart, not by a {@link DemoAppsChart}). */
export type DemoApp = 'httpbin' | 'sleep' | 'bookinfo';

/** The demo apps a {@link DemoAppsChart} deploys (bookinfo has a chart of its own). */
export const DEMO_APPS_CHART_APPS: readonly DemoApp[] = ['httpbin', 'sleep'];

/** httpbin.org, the external service scenario S2's sleep calls (`curl http://httpbin.org/headers`), over HTTP and HTTPS. */
export const HTTPBIN_ORG: ExternalServiceSpec = {
  name: 'httpbin-org',
  hosts: ['httpbin.org'],
  ports: [
    { port: 80, protocol: 'HTTP' },
    { port: 443, protocol: 'HTTPS' },
  ],
};

/**
 * The external services the listed demo apps call, which the mesh must allow (a `ServiceEntry` each
 * under `REGISTRY_ONLY`): httpbin.org when sleep is deployed, nothing otherwise. An environment
 * without demos allows no external service on their behalf.
 */
export function demoExternalServices(apps: readonly DemoApp[]): ExternalServiceSpec[] {
  return apps.includes('sleep') ? [HTTPBIN_ORG] : [];
}

/** Properties of a {@link DemoAppsChart}. */
export interface DemoAppsChartProps {
  /** Namespace of the demo apps; created with sidecar injection enabled. */
  readonly namespace: string;
  /** Which apps to deploy: at least one of httpbin and sleep (else there is nothing to put in the namespace). */
  readonly apps: readonly DemoApp[];
  /** The environment's workload defaults. */
  readonly workloads: WorkloadDefaults;
  /**
   * Autoscale httpbin (scenario S3: min 2, max 4, CPU 99 %) instead of fixed replicas.
   * @default - fixed replicas
   */
  readonly httpbinAutoscaling?: MeshAppAutoscaling;
}

/**
 * Scenario S2, the minimal mesh: `httpbin` (Service port 8000 named http) and `sleep` (a curl
 * client that calls httpbin), each with its own ServiceAccount, in an injected namespace.
 */
export class DemoAppsChart extends LayerChart {
  /** The demo namespace. */
  readonly meshNamespace: MeshNamespace;
  /** httpbin, when deployed. */
  readonly httpbin?: MeshApp;
  /** sleep, when deployed. */
  readonly sleep?: MeshApp;

  constructor(scope: Construct, id: string, props: DemoAppsChartProps) {
    super(scope, id, { layer: Layer.APPS, namespace: props.namespace });
    if (!DEMO_APPS_CHART_APPS.some((a) => props.apps.includes(a))) {
      invalid(
        'DemoAppsChart',
        this,
        `apps [${props.apps.join(', ')}] lists neither httpbin nor sleep, so the chart would render only an empty namespace '${props.namespace}'; list one of them (mesh:demo.apps) or do not create the chart`,
      );
    }
    const { replicas, resources, podDisruptionBudget } = props.workloads;
    this.meshNamespace = new MeshNamespace(this, 'namespace', { name: props.namespace });

    if (props.apps.includes('httpbin')) {
      this.httpbin = new MeshApp(this, 'httpbin', {
        image: DEMO_IMAGES.httpbin,
        ports: [{ port: 8000, targetPort: 8080, protocol: Protocol.HTTP }],
        readiness: kplus.Probe.fromHttpGet('/status/200', { port: 8080 }),
        replicas,
        resources,
        podDisruptionBudget,
        autoscaling: props.httpbinAutoscaling,
      });
    }
    if (props.apps.includes('sleep')) {
      this.sleep = new MeshApp(this, 'sleep', {
        image: DEMO_IMAGES.sleep,
        // The client only waits to be exec'd into: it serves nothing, so it is probed by a command.
        command: ['/bin/sleep', 'infinity'],
        ports: [{ port: 80, protocol: Protocol.HTTP }],
        readiness: kplus.Probe.fromCommand(['/bin/true']),
        liveness: kplus.Probe.fromCommand(['/bin/true']),
        writablePaths: ['/tmp'],
        secretMounts: [{ secretName: 'sleep-secret', mountPath: '/etc/sleep/tls', optional: true }],
        replicas: 1,
        resources,
      });
      if (this.httpbin) this.sleep.calls(this.httpbin);
    }
  }
}
