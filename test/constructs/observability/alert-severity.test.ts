import { Duration, Testing } from 'cdk8s';
import { AlertRule, AlertSeverity, ObservabilityStack } from '../../../constructs';

describe('AlertSeverity', () => {
  test('ALL lists critical, warning and info, most urgent first', () => {
    expect(AlertSeverity.ALL).toEqual([AlertSeverity.CRITICAL, AlertSeverity.WARNING, AlertSeverity.INFO]);
    expect(AlertSeverity.ALL.map((s) => s.name)).toEqual(['critical', 'warning', 'info']);
    expect(`${AlertSeverity.CRITICAL}`).toBe('critical');
  });

  test.each([
    [AlertSeverity.CRITICAL, 'critical'],
    [AlertSeverity.WARNING, 'warning'],
    [AlertSeverity.INFO, 'info'],
    [undefined, 'warning'],
  ])('an alert rule of severity %s renders the severity label %s', (severity, rendered) => {
    const stack = new ObservabilityStack(Testing.chart(), 'obs');
    const rule = new AlertRule({ name: 'CheckoutSlow', expr: 'x > 1', for: Duration.minutes(1), severity, summary: 's' });
    expect(rule.severity).toBe(severity ?? AlertSeverity.WARNING);
    expect(stack.addAlertRule(rule).labels).toEqual({ severity: rendered });
  });

  test('the built-in rules keep their severities', () => {
    expect(AlertRule.p99LatencyAbove(Duration.millis(200)).severity).toBe(AlertSeverity.WARNING);
    expect(AlertRule.errorRatioAbove(0.01).severity).toBe(AlertSeverity.CRITICAL);
    expect(AlertRule.istiodDown().severity).toBe(AlertSeverity.CRITICAL);
  });
});
