import { Testing } from 'cdk8s';
import { FluxSystemChart, Layer } from '../../../charts';
import { chatProviderType, chatService, NotificationChannel } from '../../../constructs';

describe('one name per chat service', () => {
  test("Flux's and Flagger's msteams is teams; anything else is no chat service", () => {
    expect(chatService('teams')).toBe('teams');
    expect(chatService('msteams')).toBe('teams');
    expect(chatService('slack')).toBe('slack');
    expect(chatService('discord')).toBeUndefined();
    expect(chatProviderType('teams')).toBe('msteams');
  });

  test.each<NotificationChannel>(['teams', 'msteams'])('Flux notifications of type %s: one Teams Provider, named as before', (type) => {
    const chart = new FluxSystemChart(Testing.app(), 'flux-system', {
      url: 'ssh://git@github.com/acme/mesh.git',
      secretName: 'flux-system',
      path: './dist/prod',
      layers: [Layer.APPS],
      notifications: { type, webhookSecretName: 'teams-webhook' },
    });
    const provider = Testing.synth(chart).find((o) => o.kind === 'Provider');
    expect(provider.metadata.name).toBe('flux-system-msteams');
    expect(provider.spec).toEqual({ type: 'msteams', secretRef: { name: 'teams-webhook' } });
  });
});
