import { Chart, Testing } from 'cdk8s';
import { ChatService, FluxEventSeverity, FluxNotifications } from '../../../constructs';

describe('FluxEventSeverity', () => {
  test('ALL lists info and error by the names Flux reads', () => {
    expect(FluxEventSeverity.ALL).toEqual([FluxEventSeverity.INFO, FluxEventSeverity.ERROR]);
    expect(FluxEventSeverity.ALL.map((s) => s.name)).toEqual(['info', 'error']);
    expect(`${FluxEventSeverity.ERROR}`).toBe('error');
  });

  test.each([
    [FluxEventSeverity.INFO, 'info'],
    [FluxEventSeverity.ERROR, 'error'],
    [undefined, 'info'],
  ])('severity %s renders the Alert eventSeverity %s', (severity, rendered) => {
    const chart = new Chart(Testing.app(), 'test');
    new FluxNotifications(chart, 'slack', { type: ChatService.SLACK, webhookSecretName: 'slack-webhook', severity });
    expect(Testing.synth(chart).find((o) => o.kind === 'Alert').spec.eventSeverity).toBe(rendered);
  });
});

test("FluxNotifications fails when a JavaScript caller passes the chat service's name instead of the class", () => {
  const chart = new Chart(Testing.app(), 'test');
  expect(
    () => new FluxNotifications(chart, 'teams', { type: 'msteams' as unknown as ChatService, webhookSecretName: 'teams-webhook' }),
  ).toThrow("FluxNotifications test/teams: type 'msteams' is not allowed; use ChatService.SLACK or ChatService.TEAMS");
});
