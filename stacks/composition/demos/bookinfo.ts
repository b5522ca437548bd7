import type { AppDeclaration } from '../../environments/apps';

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
 * - `reviews-canary`: reviews has one version, rolled out by Flagger (its release owns its routing).
 */
export type BookinfoRouting = 'all-v1' | 'jason-v2' | 'v1-v3-50-50' | 'reviews-canary';

/** Options of {@link bookinfoApps} (`mesh:canary.bookinfo`). */
export interface BookinfoOptions {
  /** The routing scenario of reviews. */
  readonly routing: BookinfoRouting;
  /** Set `ISTIO_MUTUAL` TLS on the traffic to every service (the DestinationRule variant of scenario S6). */
  readonly istioMutualTls: boolean;
  /**
   * The environment's replicas per version (mesh:workloads.replicas): under Flagger, reviews carries them in an
   * HPA (Flagger starts its primary with the target's replicas, which Git leaves out).
   */
  readonly replicas: number;
}

/** The paths of productpage exposed through the gateway: the page, its assets, login/logout and the API. */
const PUBLIC_PATHS = [
  { exact: '/productpage' },
  { prefix: '/static' },
  { exact: '/login' },
  { exact: '/logout' },
  { prefix: '/api/v1/products' },
];

/**
 * Scenario S6, bookinfo, as `mesh:apps` entries: productpage (calls details and reviews), details, reviews
 * v1/v2/v3 (reviews calls ratings) and ratings, all on port 9080 named http, probed on /health, with a
 * writable /tmp (the images run as UID 1000 on a read-only root filesystem); /productpage and its assets,
 * login, logout and API through the public gateway (on its hosts); DestinationRule subsets per version of
 * reviews (optionally `ISTIO_MUTUAL` everywhere) and the routing scenario of reviews, or a Flagger canary on it.
 */
export function bookinfoApps(options: BookinfoOptions): Record<string, AppDeclaration> {
  const tls = options.istioMutualTls || undefined;
  const app = (name: 'productpage' | 'details' | 'ratings' | 'reviews', startup = '10s'): AppDeclaration => ({
    image: bookinfoImage(name, 'v1'),
    ports: [{ port: 9080, name: 'http' }],
    // Every bookinfo service answers /health; `/` is not a page for most of them.
    probes: { readiness: { httpGet: { path: '/health' } }, liveness: { httpGet: { path: '/health' }, initialDelay: startup } },
    writablePaths: ['/tmp'],
    istioMutualTls: tls,
  });
  const canaried = options.routing === 'reviews-canary';
  const weights = options.routing === 'v1-v3-50-50' ? { v1: 50, v2: 0, v3: 50 } : { v1: 100, v2: 0, v3: 0 };
  return {
    details: app('details'),
    ratings: app('ratings'),
    reviews: {
      // WebSphere Liberty writes its work area under /opt/ibm/wlp/output and (LOG_DIR) its logs; the rest of
      // the filesystem stays read-only. A JVM server needs longer than the others to answer.
      ...app('reviews', '60s'),
      writablePaths: ['/tmp', '/opt/ibm/wlp/output'],
      env: { LOG_DIR: '/tmp/logs' },
      calls: ['ratings'],
      ...(canaried
        ? {
            // Under Flagger, reviews is one Deployment whose image is the version being rolled out.
            autoscaling:
              options.replicas > 1 ? { minReplicas: options.replicas, maxReplicas: options.replicas, cpuUtilization: 80 } : undefined,
            release: {
              strategy: 'canary',
              stepWeight: 10,
              maxWeight: 50,
              interval: '1m',
              threshold: 5,
              successRate: 99,
              maxLatency: 500,
              loadTest: { path: '/reviews/0', requestsPerSecond: 10, concurrency: 2 },
              webhookTimeout: '5s',
              manualPromotion: false,
            },
          }
        : {
            versions: (['v1', 'v2', 'v3'] as const).map((v) => ({
              name: v,
              image: bookinfoImage('reviews', v),
              weight: weights[v],
              headers: options.routing === 'jason-v2' && v === 'v2' ? { 'end-user': 'jason' } : undefined,
            })),
          }),
    },
    productpage: { ...app('productpage'), calls: ['details', 'reviews'], expose: { paths: PUBLIC_PATHS } },
  };
}
