import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { ChartWorkload } from '../security/access-rule';
import { FLAGGER_LOAD_TESTER_NAME, FLAGGER_LOAD_TESTER_NAMESPACE } from './canary-release';
import { invalid } from '../core/errors';
import { ISTIO_SYSTEM_NAMESPACE } from '../core/namespaces';
import { formatGoDuration } from '../core/go-duration';
import { HelmComponent, HelmRepositoryRef } from '../platform/helm-component';
import { ResourceRequirements } from '../workloads/mesh-app';

/** Flagger's Helm repository (charts `flagger` and `loadtester`). */
export const FLAGGER_REPOSITORY: HelmRepositoryRef = { name: 'flagger', url: 'https://flagger.app' };
/** The Flagger chart version (Flagger 1.44.0). */
export const FLAGGER_CHART_VERSION = '1.44.0';
/** The load tester chart released with Flagger 1.44.0. */
export const FLAGGER_LOAD_TESTER_CHART_VERSION = '0.38.0';

/**
 * The API group of the CRDs the `flagger` chart installs (its `crds/` folder: Canary, MetricTemplate,
 * AlertProvider): these objects go in a later layer than Flagger.
 */
export const FLAGGER_API_GROUPS: readonly string[] = ['flagger.app'];

/** Properties of {@link Flagger}. */
export interface FlaggerProps {
  /** The Prometheus query URL Flagger's built-in metrics and templates read (Flagger `metricsServer`). */
  readonly prometheusUrl: string;
  /**
   * The namespace Flagger runs in (it watches Canaries in every namespace).
   * @default 'istio-system'
   */
  readonly namespace?: string;
  /**
   * Requests and limits of the controller.
   * @default - requests 10m CPU / 32Mi, limits 1 CPU / 512Mi
   */
  readonly resources?: ResourceRequirements;
  /**
   * Releases that must be ready first (the Istio control plane).
   * @default - none
   */
  readonly dependsOn?: HelmComponent[];
}

/**
 * The Flagger controller with the Istio mesh provider, installed from its upstream chart through
 * {@link HelmComponent} (CRDs included). Canaries need it; scenario S3 installs it in istio-system.
 */
export class Flagger extends Construct {
  /** The Helm release. */
  readonly component: HelmComponent;
  /** The Prometheus URL it reads. */
  readonly prometheusUrl: string;
  /**
   * The controller's pods as the flagger chart renders them (release `flagger`: ServiceAccount `flagger`,
   * pod label `app.kubernetes.io/name: flagger`, port 8080). It calls the canaries' webhooks from there.
   */
  readonly workload: ChartWorkload;

  constructor(scope: Construct, id: string, props: FlaggerProps) {
    super(scope, id);
    if (!/^https?:\/\/[^\s]+$/.test(props.prometheusUrl))
      invalid(
        'Flagger',
        this,
        `prometheusUrl '${props.prometheusUrl}' is not an http(s) URL; use the Prometheus query URL such as 'http://prometheus-server.istio-system'`,
      );
    this.prometheusUrl = props.prometheusUrl;
    this.workload = {
      name: 'flagger',
      namespace: props.namespace ?? ISTIO_SYSTEM_NAMESPACE,
      serviceAccount: 'flagger',
      podLabels: { 'app.kubernetes.io/name': 'flagger' },
      port: 8080,
    };
    const resources = props.resources ?? { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '1', memory: '512Mi' } };
    this.component = new HelmComponent(this, 'flagger', {
      repository: FLAGGER_REPOSITORY,
      chart: 'flagger',
      version: FLAGGER_CHART_VERSION,
      namespace: props.namespace ?? ISTIO_SYSTEM_NAMESPACE,
      dependsOn: props.dependsOn,
      crdApiGroups: FLAGGER_API_GROUPS,
      values: {
        meshProvider: 'istio',
        metricsServer: props.prometheusUrl,
        prometheus: { install: false },
        resources,
      },
    });
  }
}

/** Properties of {@link FlaggerLoadTester}. */
export interface FlaggerLoadTesterProps {
  /**
   * The namespace (it must have sidecar injection, so that load reaches the canary through the mesh).
   * @default FLAGGER_LOAD_TESTER_NAMESPACE ('test')
   */
  readonly namespace?: string;
  /**
   * Longest command the load tester runs (its `-timeout`).
   * @default Duration.hours(1)
   */
  readonly commandTimeout?: Duration;
  /**
   * Releases that must be ready first.
   * @default - none
   */
  readonly dependsOn?: HelmComponent[];
}

/**
 * Flagger's load tester (`hey`, `ghz`, manual gates) from its upstream chart, named
 * `flagger-loadtester` so that {@link FLAGGER_LOAD_TESTER_URL} reaches it.
 */
export class FlaggerLoadTester extends Construct {
  /** The Helm release. */
  readonly component: HelmComponent;
  /** Base URL of its API (load tests, gates), with a trailing slash. */
  readonly url: string;
  /**
   * Its pods as the loadtester chart renders them: label `app: loadtester` (the chart's name, not the
   * release's), ServiceAccount `flagger-loadtester` (the chart's own, created with `rbac.create`: an identity
   * of its own, so that zero trust admits the load tester and no other workload of its namespace), API on
   * container port 8080 behind Service port 80.
   */
  readonly workload: ChartWorkload;

  constructor(scope: Construct, id: string, props: FlaggerLoadTesterProps = {}) {
    super(scope, id);
    const namespace = props.namespace ?? FLAGGER_LOAD_TESTER_NAMESPACE;
    const timeout = props.commandTimeout ?? Duration.hours(1);
    if (timeout.toMilliseconds() < 1000)
      invalid(
        'FlaggerLoadTester',
        this,
        `commandTimeout ${formatGoDuration(timeout)} is shorter than a second; give load tests time to run, e.g. Duration.minutes(30)`,
      );
    this.url = `http://${FLAGGER_LOAD_TESTER_NAME}.${namespace}/`;
    this.workload = {
      name: FLAGGER_LOAD_TESTER_NAME,
      namespace,
      serviceAccount: FLAGGER_LOAD_TESTER_NAME,
      podLabels: { app: 'loadtester' },
      port: 8080,
    };
    this.component = new HelmComponent(this, FLAGGER_LOAD_TESTER_NAME, {
      repository: FLAGGER_REPOSITORY,
      chart: 'loadtester',
      version: FLAGGER_LOAD_TESTER_CHART_VERSION,
      namespace,
      dependsOn: props.dependsOn,
      values: {
        cmd: { timeout: formatGoDuration(timeout) },
        // The chart sets requests only; a load generator without a memory limit can starve its node.
        resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } },
        // Its own ServiceAccount, named after the release (the chart's fullname), with a Role that grants
        // nothing: without it the pod runs as the namespace's `default`, shared with any other pod there.
        rbac: { create: true, rules: [] },
        // The restricted Pod Security Standard (its namespace enforces it with the Istio CNI plugin): the
        // image's unprivileged user (uid 100, gid 101, as the chart's own example), no privilege escalation,
        // no capabilities, read-only root file system, the runtime's default seccomp profile for every
        // container of the pod (the injected sidecar's included).
        securityContext: {
          enabled: true,
          context: {
            readOnlyRootFilesystem: true,
            runAsUser: 100,
            runAsGroup: 101,
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          },
        },
        podSecurityContext: {
          enabled: true,
          context: { fsGroup: 101, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        },
      },
    });
  }
}
