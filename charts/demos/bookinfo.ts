import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { VirtualService } from '../../imports/networking.istio.io';
import {
  CanaryRelease,
  IMeshGateway,
  MeshApp,
  MeshAppProps,
  MeshNamespace,
  Protocol,
  ResourceRequirements,
  Strategy,
  Webhook,
  WeightedSplit,
} from '../../constructs';
import { Layer, LayerChart } from '../layer';

/** The workload defaults an environment gives its apps (mesh:workloads). */
export interface WorkloadDefaults {
  /** Replicas per version. */
  readonly replicas: number;
  /** Requests and limits per container. */
  readonly resources: ResourceRequirements;
  /** PodDisruptionBudget for versions with 2 or more replicas. */
  readonly podDisruptionBudget: boolean;
}

/** Tag of the bookinfo images. */
export const BOOKINFO_VERSION = '1.20.3';

/** The image of one bookinfo service version. */
export function bookinfoImage(service: 'productpage' | 'details' | 'reviews' | 'ratings', version: 'v1' | 'v2' | 'v3'): string {
  return `docker.io/istio/examples-bookinfo-${service}-${version}:${BOOKINFO_VERSION}`;
}

/**
 * How requests to `reviews` are routed:
 * - `all-v1`: every request to v1 (no stars);
 * - `jason-v2`: requests of user jason (header `end-user: jason`) to v2 (black stars), the rest to v1;
 * - `v1-v3-50-50`: half to v1, half to v3 (red stars);
 * - `reviews-canary`: reviews has one version, rolled out by Flagger (a CanaryRelease owns its routing).
 */
export type BookinfoRouting = 'all-v1' | 'jason-v2' | 'v1-v3-50-50' | 'reviews-canary';

/** Properties of a {@link BookinfoChart}. */
export interface BookinfoChartProps {
  /** Namespace of bookinfo (created with sidecar injection). */
  readonly namespace: string;
  /** The routing scenario of reviews. */
  readonly routing: BookinfoRouting;
  /** Set `ISTIO_MUTUAL` TLS on every DestinationRule (the subsets variant of scenario S6). */
  readonly istioMutualTls: boolean;
  /** The gateway /productpage is reachable through. */
  readonly gateway: IMeshGateway;
  /** The environment's workload defaults. */
  readonly workloads: WorkloadDefaults;
}

/** The paths of productpage exposed through the gateway: the page, its assets, login/logout and the API. */
const PUBLIC_PATHS: readonly { readonly exact?: string; readonly prefix?: string }[] = [
  { exact: '/productpage' },
  { prefix: '/static' },
  { exact: '/login' },
  { exact: '/logout' },
  { prefix: '/api/v1/products' },
];

/**
 * Scenario S6, bookinfo: productpage (calls details and reviews), details, reviews v1/v2/v3 (v2 and v3
 * call ratings) and ratings, all on port 9080 named http; /productpage and its assets, login,
 * logout and API through the gateway; DestinationRule subsets per version (optionally ISTIO_MUTUAL)
 * and a selectable routing scenario for reviews, or a Flagger CanaryRelease on it.
 */
export class BookinfoChart extends LayerChart {
  readonly productpage: MeshApp;
  readonly details: MeshApp;
  readonly reviews: MeshApp;
  readonly ratings: MeshApp;
  /** The release of reviews (routing `reviews-canary`). */
  readonly reviewsRelease?: CanaryRelease;

  constructor(scope: Construct, id: string, props: BookinfoChartProps) {
    super(scope, id, { layer: Layer.APPS, namespace: props.namespace });
    new MeshNamespace(this, 'namespace', { name: props.namespace });
    type AppOptions = Pick<MeshAppProps, 'versions' | 'writablePaths' | 'env' | 'autoscaling'> & { readonly startupTime?: Duration };
    const app = (name: 'productpage' | 'details' | 'reviews' | 'ratings', options: AppOptions = {}) =>
      new MeshApp(this, name, {
        image: bookinfoImage(name, 'v1'),
        ports: [{ port: 9080, protocol: Protocol.HTTP, name: 'http' }],
        versions: options.versions,
        env: options.env,
        // Every bookinfo service answers /health; `/` is not a page for most of them.
        readiness: kplus.Probe.fromHttpGet('/health', { port: 9080 }),
        liveness: kplus.Probe.fromHttpGet('/health', {
          port: 9080,
          initialDelaySeconds: options.startupTime ?? Duration.seconds(10),
          failureThreshold: 3,
        }),
        // The images run as UID 1000 on a read-only root filesystem: Python, Ruby and Node write at most to /tmp.
        writablePaths: options.writablePaths ?? ['/tmp'],
        replicas: options.autoscaling ? undefined : props.workloads.replicas,
        autoscaling: options.autoscaling,
        resources: props.workloads.resources,
        podDisruptionBudget: props.workloads.podDisruptionBudget,
      });

    this.details = app('details');
    this.ratings = app('ratings');
    const canaried = props.routing === 'reviews-canary';
    const replicas = props.workloads.replicas;
    this.reviews = app('reviews', {
      // Under Flagger, reviews is one Deployment whose image is the version being rolled out.
      versions: canaried ? undefined : (['v1', 'v2', 'v3'] as const).map((v) => ({ name: v, image: bookinfoImage('reviews', v) })),
      // Flagger starts its primary with the target's replicas, which Git leaves out: an HPA carries them.
      autoscaling: canaried && replicas > 1 ? { minReplicas: replicas, maxReplicas: replicas, cpuUtilization: 80 } : undefined,
      // WebSphere Liberty writes its work area under /opt/ibm/wlp/output and (LOG_DIR) its logs; the
      // rest of the filesystem stays read-only. A JVM server needs longer than the others to answer.
      writablePaths: ['/tmp', '/opt/ibm/wlp/output'],
      env: { LOG_DIR: '/tmp/logs' },
      startupTime: Duration.seconds(60),
    });
    this.productpage = app('productpage');
    this.productpage.calls(this.details, this.reviews);
    this.reviews.calls(this.ratings);

    const tls = props.istioMutualTls;
    for (const a of [this.productpage, this.details, this.ratings]) {
      new WeightedSplit(this, `${a.name}-routing`, { app: a, weights: [{ version: 'v1', weight: 100 }], istioMutualTls: tls });
    }
    if (canaried) {
      this.reviewsRelease = new CanaryRelease(this, 'reviews-release', {
        app: this.reviews,
        strategy: Strategy.progressive({ stepWeight: 10, maxWeight: 50 }),
        interval: Duration.minutes(1),
        threshold: 5,
        traffic: tls ? { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } : undefined,
        webhooks: [Webhook.heyLoadTest({ path: '/reviews/0', timeout: Duration.seconds(5) })],
      });
    } else {
      new WeightedSplit(this, 'reviews-routing', {
        app: this.reviews,
        istioMutualTls: tls,
        weights:
          props.routing === 'v1-v3-50-50'
            ? [
                { version: 'v1', weight: 50 },
                { version: 'v2', weight: 0 },
                { version: 'v3', weight: 50 },
              ]
            : [
                { version: 'v1', weight: 100 },
                { version: 'v2', weight: 0 },
                { version: 'v3', weight: 0 },
              ],
        headerRoutes: props.routing === 'jason-v2' ? [{ header: 'end-user', value: 'jason', version: 'v2' }] : undefined,
      });
    }

    new VirtualService(this, 'bookinfo', {
      metadata: { name: 'bookinfo' },
      spec: {
        hosts: [...props.gateway.hosts],
        gateways: [props.gateway.reference],
        http: [
          {
            name: 'productpage',
            match: PUBLIC_PATHS.map((uri) => ({ uri })),
            route: [{ destination: { host: this.productpage.host, port: { number: 9080 } } }],
          },
        ],
      },
    });
  }
}
