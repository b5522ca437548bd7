import { IMeshGateway, MeshValidationError } from '../../../constructs';
import type { AppDeclaration } from '../../environments/apps';
import { bookinfoApps, BookinfoOptions } from './bookinfo';
import { DemoApp, HTTPBIN_APP, sleepApp } from './demo-apps';
import { httpbinCanaryRelease, S3_HTTPBIN_AUTOSCALING } from './httpbin-canary';
import { s4Resilience, s4Warning } from './resilience-demo';
import { weightedCanaryApp } from './weighted-canary';

/** The demo apps of one namespace, declared as `mesh:apps` entries. */
export interface DemoNamespace {
  /** The id of the chart they are built in (a public contract: it names the output file and Pulumi resources). */
  readonly chartId: string;
  /** Their namespace. */
  readonly namespace: string;
  /** The apps, by name, exactly as `mesh:apps.<namespace>` would declare them. */
  readonly apps: Record<string, AppDeclaration>;
  /**
   * Synth warnings about an app (what a scenario leaves out), by app name.
   * @default - none
   */
  readonly warnings?: Record<string, string>;
}

/** What decides which demos an environment deploys: its `mesh:demo` and `mesh:canary` keys. */
export interface DemoOptions {
  /** `mesh:demo`: the namespace of httpbin and sleep, and which demo apps are deployed. */
  readonly demo: { readonly namespace: string; readonly apps: readonly DemoApp[] };
  /** `mesh:canary.httpbinCanary`: scenario S3's canary on httpbin. */
  readonly httpbinCanary: { readonly enabled: boolean; readonly manualPromotion: boolean };
  /** `mesh:canary.weightedSplit`: scenario S7. */
  readonly weightedSplit: {
    readonly enabled: boolean;
    readonly namespace: string;
    readonly weights: { readonly v1: number; readonly v2: number };
    readonly host?: string;
  };
  /** `mesh:canary.bookinfo` (deployed when `mesh:demo.apps` lists bookinfo) and the environment's replicas. */
  readonly bookinfo: BookinfoOptions & { readonly namespace: string };
  /** `mesh:resilience.allowFaults`: S4's faults are injected only where allowed. */
  readonly allowFaults: boolean;
  /** The public gateway (S3's canary and S7's host are routed through it). */
  readonly gateway: IMeshGateway;
}

/**
 * The demo apps an environment deploys, as ordinary app declarations (the model of `mesh:apps`), which
 * the composition builds like any app (`stacks/composition/apps.ts`): scenario S2's httpbin and sleep in
 * `mesh:demo.namespace` (chart `demo-apps`), with S3's canary and S4's resilience on httpbin, S7's
 * weighted split in its own namespace (chart `weighted-canary`) and S6's bookinfo (chart `bookinfo`).
 * Nothing when none is opted in. Two demos in one namespace are an error naming both keys.
 */
export function demoApps(options: DemoOptions): DemoNamespace[] {
  const listed = options.demo.apps;
  const canaried = options.httpbinCanary.enabled;
  if (canaried && !listed.includes('httpbin')) {
    throw new MeshValidationError(
      "httpbin-canary: mesh:canary.httpbinCanary.enabled needs the demo httpbin; add 'httpbin' to mesh:demo.apps or disable the canary",
    );
  }
  const namespaces: DemoNamespace[] = [];
  const apps: Record<string, AppDeclaration> = {};
  const warnings: Record<string, string> = {};
  if (listed.includes('httpbin')) {
    const s4 = { canaried, allowFaults: options.allowFaults };
    apps.httpbin = {
      ...HTTPBIN_APP,
      // Under S3's canary: S3's HPA, the release, and the public gateway (Flagger's VirtualService binds it).
      ...(canaried
        ? { autoscaling: S3_HTTPBIN_AUTOSCALING, release: httpbinCanaryRelease(options.httpbinCanary.manualPromotion), expose: {} }
        : {}),
      resilience: s4Resilience(s4),
    };
    const warning = s4Warning({ ...s4, release: 'demo-apps/httpbin-release' });
    if (warning) warnings.httpbin = warning;
  }
  if (listed.includes('sleep')) apps.sleep = sleepApp(listed.includes('httpbin'));
  const keys = new Map<string, string>();
  const add = (key: string, demo: DemoNamespace) => {
    const other = namespaces.find((n) => n.namespace === demo.namespace);
    if (other) {
      throw new MeshValidationError(
        `${demo.chartId}: ${key} '${demo.namespace}' is ${keys.get(other.chartId)} too, where the ${other.chartId} demo already is; give each demo a namespace of its own`,
      );
    }
    keys.set(demo.chartId, key);
    namespaces.push(demo);
  };
  if (Object.keys(apps).length > 0) add('mesh:demo.namespace', { chartId: 'demo-apps', namespace: options.demo.namespace, apps, warnings });
  const split = options.weightedSplit;
  if (split.enabled) {
    add('mesh:canary.weightedSplit.namespace', {
      chartId: 'weighted-canary',
      namespace: split.namespace,
      apps: { httpbin: weightedCanaryApp({ weights: split.weights, host: split.host, gateway: options.gateway }) },
    });
  }
  if (listed.includes('bookinfo')) {
    add('mesh:canary.bookinfo.namespace', {
      chartId: 'bookinfo',
      namespace: options.bookinfo.namespace,
      apps: bookinfoApps(options.bookinfo),
    });
  }
  return namespaces;
}
