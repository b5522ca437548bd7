import { App } from 'cdk8s';
import { Layer, LayerChart } from '../../charts/layer';
import type { IMeshGateway, WorkloadIdentity } from '../../constructs';
import { MeshValidationError } from '../../constructs/core/errors';
import type { EnvironmentConfig, Tier } from '../environments';

/** The environment an app registration is built for. */
export interface AppsEnvironment {
  /** The environment's name (`dev`, `staging`, `prod`): the `Pulumi.<name>.yaml` it was loaded from. */
  readonly name: string;
  /** Its tier (`mesh:tier`): what production rules apply. */
  readonly tier: Tier;
  /** The whole validated configuration, read-only (e.g. to size replicas per environment). */
  readonly config: EnvironmentConfig;
}

/** Properties of a chart created with {@link AppsContext.layerChart}. */
export interface AppsChartProps {
  /**
   * The namespace the chart's objects default to.
   * @default - none: every object names its own namespace
   */
  readonly namespace?: string;
}

/**
 * What the platform hands a team's registration: where to add constructs, for which environment, and
 * the platform objects an app refers to. The platform's zero trust governs every `MeshApp` added here
 * (declared calls, the load tester of a canaried app, Prometheus, the ingress gateway of an exposed app).
 */
export interface AppsContext {
  /** The environment's cdk8s App: the scope of the team's charts. */
  readonly app: App;
  /** The environment being built. */
  readonly environment: AppsEnvironment;
  /** The public ingress gateway (`gateways` of a `CanaryRelease`, a `ResilientRoute` or a `WeightedSplit`). */
  readonly publicGateway: IMeshGateway;
  /** The base URL of Flagger's load tester (the `loadTesterUrl` webhooks call). */
  readonly loadTesterUrl: string;
  /** The Prometheus that scrapes the sidecars (Flagger's metrics read it). */
  readonly prometheus: WorkloadIdentity;
  /** Namespaces the platform owns: an app in one of them is an error. */
  readonly platformNamespaces: readonly string[];
  /**
   * A chart of layer `apps` (written to `dist/<env>/apps/<id>.yaml`, declared by the Pulumi program after
   * the platform). Its id is a public contract: it names the output file and the Pulumi resources.
   */
  layerChart(id: string, props?: AppsChartProps): LayerChart;
}

/** A team's apps: called once per environment by `buildPlatform`, after the platform and before zero trust. */
export type AppsRegistration = (ctx: AppsContext) => void;

/**
 * Registers a team's own apps (the default export of `apps/index.ts`). The function is type-checked with
 * the rest of the project (`npx tsc --noEmit`), so a misspelt prop is a compile error, and it must stay free
 * of I/O: it runs for the synth, every CLI tool and the Pulumi program alike.
 */
export function defineApps(register: AppsRegistration): AppsRegistration {
  if (typeof register !== 'function') {
    throw new TypeError(
      `defineApps: expected a function (ctx) => { ... } that adds the apps, got ${register === null ? 'null' : typeof register}; ` +
        'write export default defineApps((ctx) => { ... }) in apps/index.ts',
    );
  }
  return register;
}

/** Inputs of {@link addCodeApps}: the platform objects the context exposes. */
export interface CodeAppsInputs {
  readonly publicGateway: IMeshGateway;
  readonly loadTesterUrl: string;
  readonly prometheus: WorkloadIdentity;
  readonly platformNamespaces: readonly string[];
}

/** Runs `register` against `app`; charts it creates must not reuse a platform chart's id or namespace. */
export function addCodeApps(app: App, config: EnvironmentConfig, register: AppsRegistration, inputs: CodeAppsInputs): void {
  const taken = new Set(app.node.children.map((c) => c.node.id));
  const reserved = new Set(inputs.platformNamespaces);
  register({
    app,
    environment: { name: config.name, tier: config.tier, config },
    ...inputs,
    layerChart: (id, props = {}) => {
      if (taken.has(id))
        throw new MeshValidationError(
          `apps/index.ts: layerChart id '${id}' is a chart of the platform of ${config.name}; choose another id, e.g. '${id}-app'`,
        );
      if (props.namespace && reserved.has(props.namespace))
        throw new MeshValidationError(
          `apps/index.ts: chart '${id}' namespace '${props.namespace}' belongs to the platform (${[...reserved].join(', ')}); put your apps in a namespace of their own`,
        );
      return new LayerChart(app, id, { layer: Layer.APPS, namespace: props.namespace });
    },
  });
}
