import { Testing } from 'cdk8s';
import { FluxSystemChart, Layer } from '../../../charts';
import { ChatService, chatProviderType, chatService } from '../../../constructs';

describe('one name per chat service', () => {
  test("Flux's and Flagger's msteams is teams; anything else is no chat service", () => {
    expect(chatService('teams')).toBe(ChatService.TEAMS);
    expect(chatService('msteams')).toBe(ChatService.TEAMS);
    expect(chatService('slack')).toBe(ChatService.SLACK);
    expect(chatService('discord')).toBeUndefined();
    expect(chatProviderType(ChatService.TEAMS)).toBe('msteams');
  });

  test('ChatService.ALL lists Slack and Teams by their internal names and provider types', () => {
    expect(ChatService.ALL).toEqual([ChatService.SLACK, ChatService.TEAMS]);
    expect(ChatService.ALL.map((s) => [s.name, s.providerType])).toEqual([
      ['slack', 'slack'],
      ['teams', 'msteams'],
    ]);
    expect(`${ChatService.TEAMS}`).toBe('teams');
  });

  test.each(['teams', 'msteams'])('Flux notifications of the configured type %s: one Teams Provider, named as before', (name) => {
    const chart = new FluxSystemChart(Testing.app(), 'flux-system', {
      url: 'ssh://git@github.com/acme/mesh.git',
      secretName: 'flux-system',
      path: './dist/prod',
      layers: [Layer.APPS],
      notifications: { type: chatService(name)!, webhookSecretName: 'teams-webhook' },
    });
    const provider = Testing.synth(chart).find((o) => o.kind === 'Provider');
    expect(provider.metadata.name).toBe('flux-system-msteams');
    expect(provider.spec).toEqual({ type: 'msteams', secretRef: { name: 'teams-webhook' } });
  });
});
