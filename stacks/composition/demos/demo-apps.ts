import type { AppDeclaration } from '../../environments/apps';
import { ExternalServiceSpec } from '../../../charts/egress';

/** Images of the demo apps, pinned. */
export const DEMO_IMAGES = {
  /** The maintained Go port of httpbin that Istio's samples use. */
  httpbin: 'docker.io/mccutchen/go-httpbin:v2.15.0',
  /** The curl client of Istio's `sleep`/`curl` sample. */
  sleep: 'docker.io/curlimages/curl:8.11.1',
} as const;

/** The demo apps of the environment (`mesh:demo.apps`). */
export type DemoApp = 'httpbin' | 'sleep' | 'bookinfo';

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

/**
 * Scenario S2's httpbin, as a `mesh:apps` entry: Service port 8000 named http to go-httpbin's container
 * port 8080, ready when `/status/200` answers. Replicas, resources and the PodDisruptionBudget come from
 * mesh:workloads, as for any app.
 */
export const HTTPBIN_APP: AppDeclaration = {
  image: DEMO_IMAGES.httpbin,
  ports: [{ port: 8000, targetPort: 8080 }],
  probes: { readiness: { httpGet: { path: '/status/200' } } },
};

/**
 * Scenario S2's sleep, as a `mesh:apps` entry: a curl client that sleeps forever (it only waits to be
 * exec'd into, so it is probed by a command), Service port 80 named http, a writable /tmp, the optional
 * Secret `sleep-secret` at /etc/sleep/tls, one replica; it calls httpbin where httpbin is deployed, and
 * httpbin.org ({@link HTTPBIN_ORG}, allowed wherever sleep is deployed).
 */
export function sleepApp(callsHttpbin: boolean): AppDeclaration {
  return {
    image: DEMO_IMAGES.sleep,
    command: ['/bin/sleep', 'infinity'],
    ports: [{ port: 80 }],
    probes: { readiness: { exec: ['/bin/true'] }, liveness: { exec: ['/bin/true'] } },
    writablePaths: ['/tmp'],
    secretMounts: [{ secretName: 'sleep-secret', mountPath: '/etc/sleep/tls', optional: true }],
    replicas: 1,
    calls: callsHttpbin ? ['httpbin'] : undefined,
    // S2's external call (`curl http://httpbin.org/headers`): the ServiceEntry deployed with sleep.
    egress: [...HTTPBIN_ORG.hosts],
  };
}
