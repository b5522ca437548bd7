/**
 * A chat service that alerts and events are posted to, by its one internal name: `slack` or `teams`
 * (Microsoft Teams). Flux and Flagger call Teams `msteams`: {@link chatService} accepts that name too.
 */
export type ChatService = 'slack' | 'teams';

/** The names a chat service may be given in configuration: the internal ones and Flux's and Flagger's `msteams`. */
export const CHAT_SERVICE_NAMES = ['slack', 'teams', 'msteams'] as const;

/** The chat service a configured name stands for (`msteams` is `teams`), or `undefined` for any other name. */
export function chatService(name: string): ChatService | undefined {
  if (name === 'slack') return 'slack';
  if (name === 'teams' || name === 'msteams') return 'teams';
  return undefined;
}

/** The provider type Flux's notification-controller and Flagger's AlertProvider give the service. */
export function chatProviderType(service: ChatService): 'slack' | 'msteams' {
  return service === 'slack' ? 'slack' : 'msteams';
}
