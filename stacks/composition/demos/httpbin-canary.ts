import type { AppDeclaration } from '../../environments/apps';

/** Scenario S3's httpbin autoscaling: min 2, max 4 replicas, CPU target 99 %. */
export const S3_HTTPBIN_AUTOSCALING = { minReplicas: 2, maxReplicas: 4, cpuUtilization: 99 } as const;

/**
 * Scenario S3 on the demo httpbin, as the `release` of a `mesh:apps` entry: a progressive canary, every 30s,
 * 20 % more traffic per step up to 100 %, rolled back after 5 failed checks or 60s without progress;
 * success rate >= 99 % over 1m and P99 latency <= 500 ms over 30s (the platform's template); a `hey` load
 * test on httpbin-canary (`-z 1m -q 10 -c 2`, path /headers, 5s timeout) during the analysis; with
 * `manualPromotion`, the load tester's gate (5s timeout) before promotion. Alerts go to mesh:canary.alerts.
 */
export function httpbinCanaryRelease(manualPromotion: boolean): NonNullable<AppDeclaration['release']> {
  return {
    strategy: 'canary',
    stepWeight: 20,
    maxWeight: 100,
    interval: '30s',
    threshold: 5,
    progressDeadline: '60s',
    successRate: 99,
    maxLatency: 500,
    loadTest: { path: '/headers', requestsPerSecond: 10, concurrency: 2 },
    webhookTimeout: '5s',
    manualPromotion,
  };
}
