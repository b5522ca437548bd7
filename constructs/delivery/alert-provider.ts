import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AlertProvider as AlertProviderResource, AlertProviderSpecType } from '../../imports/flagger.app';
import { DNS_LABEL, invalid, notDnsLabel } from '../core/errors';
import { requireSecret } from '../core/secret-requirement';

/** The chat services a {@link AlertProvider} can post to. */
export class AlertChannel {
  /** Slack incoming webhook. */
  static readonly SLACK = new AlertChannel(AlertProviderSpecType.SLACK);
  /** Microsoft Teams incoming webhook. */
  static readonly TEAMS = new AlertChannel(AlertProviderSpecType.MSTEAMS);
  /** Discord webhook. */
  static readonly DISCORD = new AlertChannel(AlertProviderSpecType.DISCORD);

  private constructor(
    /** Flagger's provider type. */
    readonly type: AlertProviderSpecType,
  ) {}
}

/** Properties of an {@link AlertProvider}. */
export interface AlertProviderProps {
  /** Where alerts go. */
  readonly channel: AlertChannel;
  /**
   * Name of the Secret, in the provider's namespace, whose `address` key holds the webhook URL. The
   * Secret itself is never generated: webhook URLs are credentials and stay out of Git.
   */
  readonly secretName: string;
  /**
   * The chat channel (Slack) to post to.
   * @default - the webhook's own channel
   */
  readonly chatChannel?: string;
  /**
   * The user name alerts are posted as (Slack).
   * @default 'flagger'
   */
  readonly username?: string;
  /**
   * The provider's name.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The namespace.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
}

/**
 * A Flagger `AlertProvider`: where canary alerts are posted. The webhook URL comes from a Secret
 * reference only, never from a value in the manifests.
 */
export class AlertProvider extends Construct {
  /** The provider's name. */
  readonly providerName: string;
  /** Its namespace. */
  readonly providerNamespace: string;
  /** The generated object (escape hatch). */
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: AlertProviderProps) {
    super(scope, id);
    this.providerName = props.name ?? id;
    this.providerNamespace =
      props.namespace ??
      Chart.of(this).namespace ??
      invalid('AlertProvider', this, "no namespace: set 'namespace' or declare it in a chart that has one");
    if (!DNS_LABEL.test(this.providerName)) invalid('AlertProvider', this, notDnsLabel('name', this.providerName, 'on-call'));
    if (!DNS_LABEL.test(props.secretName)) {
      invalid(
        'AlertProvider',
        this,
        `secretName '${props.secretName}' is not a Secret name; give the name of a Secret holding the webhook URL under the key 'address' (never the URL itself)`,
      );
    }
    // Optional: Flagger reads the Secret when it posts an event; without it the canaries still run.
    requireSecret(this, {
      name: props.secretName,
      namespace: this.providerNamespace,
      keys: ['address'],
      purpose: `the ${props.channel.type} webhook URL Flagger posts canary events to`,
      whenMissing: 'canaries still run; their events are not posted (Flagger logs the missing Secret)',
      optional: true,
    });
    this.apiObject = new AlertProviderResource(this, 'Resource', {
      metadata: { name: this.providerName, namespace: this.providerNamespace },
      spec: {
        type: props.channel.type,
        channel: props.chatChannel,
        username: props.channel === AlertChannel.SLACK ? (props.username ?? 'flagger') : props.username,
        secretRef: { name: props.secretName },
      },
    });
  }
}
