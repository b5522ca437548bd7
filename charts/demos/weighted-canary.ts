import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { gatewayServesHost, IMeshGateway, invalid, MeshApp, MeshNamespace, Protocol, WeightedSplit } from '../../constructs';
import { DEMO_IMAGES, WorkloadDefaults } from './demo-apps';
import { Layer, LayerChart } from '../layer';

/** The container port httpbin v2 listens on (scenario S7). */
const V2_CONTAINER_PORT = 8888;

/** Properties of a {@link WeightedCanaryChart}. */
export interface WeightedCanaryChartProps {
  /** Namespace of the scenario (created with sidecar injection). */
  readonly namespace: string;
  /** Percentage of requests each version gets; they add up to 100. */
  readonly weights: { readonly v1: number; readonly v2: number };
  /** The environment's workload defaults. */
  readonly workloads: WorkloadDefaults;
  /**
   * Scenario S7's public host name (`mesh:canary.weightedSplit.host`): the split is also bound to
   * `gateway` for it, so that requests to the host follow the same weights. The gateway must serve
   * the host, over HTTPS when it has TLS (`mesh:ingress.tls`).
   * @default - in-mesh traffic only
   */
  readonly host?: string;
  /**
   * The public gateway the host is routed through (needed with `host`).
   * @default - none: in-mesh traffic only
   */
  readonly gateway?: IMeshGateway;
}

/**
 * Scenario S7, a canary rolled by hand: httpbin v1 and v2 behind one Service with two ports (8000 to
 * v1's 8080, 8001 to v2's 8888, both named for HTTP so that Istio routes them), a DestinationRule
 * with subsets v1 and v2, and a VirtualService sending `weights.v1` % to v1 on port 8000 and
 * `weights.v2` % to v2 on port 8001. A rollout step is a change of the weights in the environment's
 * configuration.
 */
export class WeightedCanaryChart extends LayerChart {
  /** httpbin with its two versions. */
  readonly httpbin: MeshApp;
  /** The split. */
  readonly split: WeightedSplit;

  constructor(scope: Construct, id: string, props: WeightedCanaryChartProps) {
    super(scope, id, { layer: Layer.APPS, namespace: props.namespace });
    new MeshNamespace(this, 'namespace', { name: props.namespace });
    this.httpbin = new MeshApp(this, 'httpbin', {
      image: DEMO_IMAGES.httpbin,
      ports: [
        { port: 8000, targetPort: 8080, protocol: Protocol.HTTP, name: 'http' },
        { port: 8001, targetPort: V2_CONTAINER_PORT, protocol: Protocol.HTTP, name: 'http-v2' },
      ],
      versions: [{ name: 'v1' }, { name: 'v2', env: { PORT: String(V2_CONTAINER_PORT) } }],
      readiness: kplus.Probe.fromHttpGet('/status/200', { port: 8080 }),
      liveness: kplus.Probe.fromHttpGet('/status/200', { port: 8080 }),
      replicas: props.workloads.replicas,
      resources: props.workloads.resources,
      podDisruptionBudget: props.workloads.podDisruptionBudget,
    });
    // v2 listens on its own port: its probes follow it (MeshApp probes are per app). The patch value
    // is an IntOrString because the Deployment's L1 rendering runs after the patches.
    const v2Port = k8s.IntOrString.fromNumber(V2_CONTAINER_PORT);
    ApiObject.of(this.httpbin.deployments.get('v2')!).addJsonPatch(
      JsonPatch.replace('/spec/template/spec/containers/0/readinessProbe/httpGet/port', v2Port),
      JsonPatch.replace('/spec/template/spec/containers/0/livenessProbe/httpGet/port', v2Port),
    );
    const gateway = props.host === undefined ? undefined : this.publicGateway(props.host, props.gateway);
    this.split = new WeightedSplit(this, 'httpbin-split', {
      app: this.httpbin,
      weights: [
        { version: 'v1', weight: props.weights.v1, port: 8000 },
        { version: 'v2', weight: props.weights.v2, port: 8001 },
      ],
      // In-mesh callers keep the split (the VirtualService is bound to `mesh` too).
      gateways: gateway && [gateway],
      hosts: props.host === undefined ? undefined : [props.host],
    });
  }

  /** The gateway for the public host, checked to serve it (in the configuration's terms). */
  private publicGateway(host: string, gateway: IMeshGateway | undefined): IMeshGateway {
    if (!gateway)
      return invalid(
        'WeightedCanaryChart',
        this,
        `mesh:canary.weightedSplit.host '${host}' needs the public gateway to route it; pass the ingress chart's gateway`,
      );
    if (gatewayServesHost(gateway, host)) return gateway;
    return gateway.httpsHosts
      ? invalid(
          'WeightedCanaryChart',
          this,
          `mesh:canary.weightedSplit.host '${host}' is not served over HTTPS by the public gateway ${gateway.reference}: mesh:ingress.tls.hosts is [${gateway.httpsHosts.join(', ')}] (a '*.domain' wildcard covers one label, as in the certificate); add '${host}' or a wildcard covering it to mesh:ingress.tls.hosts, or choose a host they cover`,
        )
      : invalid(
          'WeightedCanaryChart',
          this,
          `mesh:canary.weightedSplit.host '${host}' is not served by the public gateway ${gateway.reference}: mesh:ingress.hosts is [${gateway.hosts.join(', ')}]; add '${host}', a wildcard covering it or '*' to mesh:ingress.hosts (or configure HTTPS for it in mesh:ingress.tls), or choose a host they cover`,
        );
  }
}
