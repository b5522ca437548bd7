import { Variant } from './variant';

/**
 * A chat service that alerts and events are posted to, by its one internal name: `slack` or `teams`
 * (Microsoft Teams). Flux and Flagger call Teams `msteams`: {@link chatService} accepts that name too.
 */
export class ChatService extends Variant<'slack' | 'teams'> {
  /** Slack (incoming webhooks). */
  static readonly SLACK = new ChatService('slack', 'slack');
  /** Microsoft Teams (Flux's and Flagger's `msteams`). */
  static readonly TEAMS = new ChatService('teams', 'msteams');

  /** Every chat service. */
  static readonly ALL: readonly ChatService[] = [ChatService.SLACK, ChatService.TEAMS];

  private constructor(
    /** The one internal name, e.g. `teams`. */
    name: ChatService['name'],
    /** The provider type Flux's notification-controller and Flagger's AlertProvider give the service. */
    readonly providerType: 'slack' | 'msteams',
  ) {
    super(name);
  }
}

/** The names a chat service may be given in configuration: the internal ones and Flux's and Flagger's `msteams`. */
export const CHAT_SERVICE_NAMES = ['slack', 'teams', 'msteams'] as const;

/** The chat service a configured name stands for (`msteams` is `teams`), or `undefined` for any other name. */
export function chatService(name: string): ChatService | undefined {
  return ChatService.ALL.find((s) => name === s.name || name === s.providerType);
}

/** The provider type Flux's notification-controller and Flagger's AlertProvider give the service. */
export function chatProviderType(service: ChatService): 'slack' | 'msteams' {
  return service.providerType;
}
