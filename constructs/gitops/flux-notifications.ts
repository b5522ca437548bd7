import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Alert,
  AlertSpecEventSeverity,
  AlertSpecEventSourcesKind,
  Provider,
  ProviderSpecType,
} from '../../imports/notification.toolkit.fluxcd.io';
import { DNS_LABEL, invalid, notDnsLabel } from '../core/errors';
import { FLUX_NAMESPACE } from '../platform/helm-component';
import { requireSecret } from '../core/secret-requirement';
import { ChatService } from '../core/chat';
import { Variant } from '../core/variant';

/**
 * Where Flux posts its events.
 * @deprecated use ChatService
 */
export type NotificationChannel = ChatService;

/** The lowest severity of the Flux events a {@link FluxNotifications} posts (the Alert's `eventSeverity`). */
export class FluxEventSeverity extends Variant<'info' | 'error'> {
  /** Every event: each reconciliation, upgrades included. */
  static readonly INFO = new FluxEventSeverity('info', AlertSpecEventSeverity.INFO);
  /** Failures only. */
  static readonly ERROR = new FluxEventSeverity('error', AlertSpecEventSeverity.ERROR);

  /** Every severity. */
  static readonly ALL: readonly FluxEventSeverity[] = [FluxEventSeverity.INFO, FluxEventSeverity.ERROR];

  private constructor(
    /** The name Flux reads. */
    name: FluxEventSeverity['name'],
    private readonly value: AlertSpecEventSeverity,
  ) {
    super(name);
  }

  /** @internal the L1 value */
  _render(): AlertSpecEventSeverity {
    return this.value;
  }
}

/** Properties of a {@link FluxNotifications}. */
export interface FluxNotificationsProps {
  /** Slack or Microsoft Teams. */
  readonly type: ChatService;
  /**
   * Name of the Secret in flux-system whose `address` key holds the webhook URL. The URL is a
   * credential: it never goes to Git, only this reference does.
   */
  readonly webhookSecretName: string;
  /**
   * The Slack channel (Slack only).
   * @default - the webhook's own channel
   */
  readonly channel?: string;
  /**
   * Which events are sent: `INFO` (every reconciliation, upgrades included) or `ERROR` (failures only).
   * @default FluxEventSeverity.INFO
   */
  readonly severity?: FluxEventSeverity;
  /**
   * Name of the Provider and the Alert.
   * @default - the construct id
   */
  readonly name?: string;
}

/**
 * Flux notifications: a `Provider` (Slack or Teams, webhook URL from a Secret) and an `Alert` on every
 * GitRepository (a fetch that fails, such as a revoked deploy key, stops every sync), Kustomization and
 * HelmRelease in flux-system.
 */
export class FluxNotifications extends Construct {
  /** The generated Provider (escape hatch). */
  readonly provider: ApiObject;
  /** The generated Alert (escape hatch). */
  readonly alert: ApiObject;

  constructor(scope: Construct, id: string, props: FluxNotificationsProps) {
    super(scope, id);
    const fail = (message: string): never => invalid('FluxNotifications', this, message);
    const name = props.name ?? id;
    if (!DNS_LABEL.test(name)) fail(notDnsLabel('name', name, 'slack'));
    const service = ChatService.ALL.includes(props.type)
      ? props.type
      : fail(`type '${String(props.type)}' is not allowed; use ChatService.SLACK or ChatService.TEAMS`);
    if (!DNS_LABEL.test(props.webhookSecretName ?? ''))
      fail(
        `webhookSecretName '${props.webhookSecretName}' is not a DNS-1123 label; name the Secret holding the webhook URL under 'address'`,
      );
    if (props.channel !== undefined && service !== ChatService.SLACK)
      fail(`channel '${props.channel}' only applies to Slack; the Teams webhook URL already names its channel`);
    // Optional: a v1beta3 Provider has no readiness and resolves its Secret per event, so a missing Secret
    // only drops the events (notification-controller logs it); it never holds up a layer.
    requireSecret(this, {
      name: props.webhookSecretName,
      namespace: FLUX_NAMESPACE,
      keys: ['address'],
      purpose: `the ${service === ChatService.SLACK ? 'Slack' : 'Teams'} webhook URL Flux posts its events to`,
      whenMissing: 'Flux keeps reconciling; its events are not posted (notification-controller logs the missing Secret)',
      optional: true,
      exampleValues: {
        address:
          service === ChatService.SLACK
            ? 'https://hooks.slack.com/services/REPLACE/WITH/YOURS'
            : 'https://REPLACE.webhook.office.com/WITH/YOURS',
      },
    });
    this.provider = new Provider(this, 'Provider', {
      metadata: { name, namespace: FLUX_NAMESPACE },
      spec: {
        type: service === ChatService.SLACK ? ProviderSpecType.SLACK : ProviderSpecType.MSTEAMS,
        secretRef: { name: props.webhookSecretName },
        ...(props.channel ? { channel: props.channel } : {}),
      },
    });
    this.alert = new Alert(this, 'Alert', {
      metadata: { name, namespace: FLUX_NAMESPACE },
      spec: {
        providerRef: { name },
        eventSeverity: (props.severity ?? FluxEventSeverity.INFO)._render(),
        eventSources: [
          { kind: AlertSpecEventSourcesKind.GIT_REPOSITORY, name: '*', namespace: FLUX_NAMESPACE },
          { kind: AlertSpecEventSourcesKind.KUSTOMIZATION, name: '*', namespace: FLUX_NAMESPACE },
          { kind: AlertSpecEventSourcesKind.HELM_RELEASE, name: '*', namespace: FLUX_NAMESPACE },
        ],
      },
    });
  }
}
