import { ApiObject, Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import {
  chatProviderType,
  ChatService,
  FLUX_NAMESPACE,
  FluxGitSource,
  FluxKustomization,
  FluxEventSeverity,
  FluxNotifications,
  invalid,
} from '../constructs';
import { Layer, LayerChart, LAYERS } from './layer';

/** Name of the platform's Flux `GitRepository`. */
export const PLATFORM_GIT_SOURCE = 'mesh-platform';

/** Properties of a {@link FluxSystemChart}. */
export interface FluxSystemChartProps {
  /** The repository Flux reads: `ssh://...` (deploy key) or `https://...`. */
  readonly url: string;
  /**
   * The branch.
   * @default 'main'
   */
  readonly branch?: string;
  /**
   * The environment's folder in the repository; each layer is `<path>/<layer>`. The default matches
   * where `npm run synth` writes when dist/ is committed at the repository root.
   */
  readonly path: string;
  /** The flux-system Secret holding the deploy key (`flux create secret git`). */
  readonly secretName: string;
  /**
   * How often Flux fetches Git and re-applies the layers.
   * @default Duration.minutes(5) (scenario S1)
   */
  readonly interval?: Duration;
  /**
   * How long each layer's apply and health checks may take.
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;
  /** The layers that have objects, in any order; FLUX_SYSTEM itself is ignored. Use {@link layersWithObjects}. */
  readonly layers: readonly Layer[];
  /**
   * Flux events to Slack or Teams.
   * @default - no notifications
   */
  readonly notifications?: {
    /** Slack or Microsoft Teams. */
    readonly type: ChatService;
    /** The Secret (key `address`) holding the webhook URL; created outside Git. */
    readonly webhookSecretName: string;
    /**
     * The chat channel.
     * @default - the webhook's own channel
     */
    readonly channel?: string;
    /**
     * The lowest severity sent.
     * @default FluxEventSeverity.INFO
     */
    readonly severity?: FluxEventSeverity;
  };
}

/**
 * Layer FLUX_SYSTEM: what Flux needs to deliver the rest of the environment from Git: the platform's
 * `GitRepository`, one `Kustomization` per other layer that has objects (each depending on the one
 * before, waiting for health, pruning), and optional notifications. Build it last, from the charts
 * already in the app ({@link layersWithObjects}).
 */
export class FluxSystemChart extends LayerChart {
  /** The Git source. */
  readonly source: FluxGitSource;
  /** The Kustomizations, in apply order. */
  readonly kustomizations: readonly FluxKustomization[];
  /** The notifications, when configured. */
  readonly notifications?: FluxNotifications;

  constructor(scope: Construct, id: string, props: FluxSystemChartProps) {
    super(scope, id, { layer: Layer.FLUX_SYSTEM });
    const path = props.path.replace(/\/+$/, '');
    if (!path.startsWith('./'))
      invalid(
        'FluxSystemChart',
        this,
        `path '${props.path}' must be relative to the repository root and start with './', such as './dist/prod'`,
      );
    this.source = new FluxGitSource(this, PLATFORM_GIT_SOURCE, {
      url: props.url,
      branch: props.branch,
      secretName: props.secretName,
      interval: props.interval,
    });
    const wanted = new Set(props.layers);
    const kustomizations: FluxKustomization[] = [];
    for (const layer of LAYERS) {
      if (layer === Layer.FLUX_SYSTEM || !wanted.has(layer)) continue;
      const previous = kustomizations[kustomizations.length - 1];
      kustomizations.push(
        new FluxKustomization(this, layer, {
          source: this.source,
          path: `${path}/${layer}`,
          dependsOn: previous ? [previous] : [],
          interval: props.interval,
          timeout: props.timeout,
        }),
      );
    }
    if (kustomizations.length === 0)
      invalid(
        'FluxSystemChart',
        this,
        'no layer has objects, so Flux would have nothing to apply; build the FluxSystemChart after the other charts',
      );
    this.kustomizations = kustomizations;
    if (props.notifications) {
      // The id (and so the Provider's name) keeps Flux's provider type: `flux-system-msteams` for Teams.
      const id = `${FLUX_NAMESPACE}-${chatProviderType(props.notifications.type)}`;
      this.notifications = new FluxNotifications(this, id, {
        type: props.notifications.type,
        webhookSecretName: props.notifications.webhookSecretName,
        channel: props.notifications.channel,
        severity: props.notifications.severity,
      });
    }
  }
}

/** The layers of the app's charts that contain at least one Kubernetes object, in apply order. */
export function layersWithObjects(app: IConstruct): Layer[] {
  const layers = new Set<Layer>();
  for (const child of app.node.children) {
    if (!LayerChart.isLayerChart(child)) continue;
    const layer = (child as LayerChart).layer;
    if (!layers.has(layer) && child.node.findAll().some((c) => c instanceof ApiObject)) layers.add(layer);
  }
  return LAYERS.filter((l) => layers.has(l));
}
