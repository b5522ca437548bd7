import { Duration } from 'cdk8s';
import { DurationSyntax, formatDuration, formatGoDuration, GO_DURATION, parseGoDuration } from '../../../constructs';

describe('DurationSyntax', () => {
  test('Prometheus units: y, w, d, h, m, s, ms, whole amounts, largest first', () => {
    const ms = (text: string) => DurationSyntax.PROMETHEUS.millisOf(text);
    expect(ms('30m')).toBe(30 * 60_000);
    expect(ms('4w')).toBe(28 * 86_400_000);
    expect(ms('1y')).toBe(365 * 86_400_000);
    expect(ms('1h30m')).toBe(90 * 60_000);
    expect(ms('250ms')).toBe(250);
    for (const bad of ['1.5h', '30m1h', '1h1h', '5us', '', '15 d', 'd']) expect(ms(bad)).toBeUndefined();
  });

  test('Go units: h, m, s, ms with fractions, in any order; sub-millisecond units only in the precise syntax', () => {
    expect(DurationSyntax.GO.parse('1.5h')?.toMinutes()).toBe(90);
    expect(DurationSyntax.GO.millisOf('30s5m')).toBe(330_000);
    expect(DurationSyntax.GO.millisOf('1d')).toBeUndefined();
    expect(DurationSyntax.GO.millisOf('100us')).toBeUndefined();
    expect(DurationSyntax.GO_PRECISE.millisOf('100us')).toBeCloseTo(0.1);
    expect(DurationSyntax.GO_PRECISE.millisOf('1µs')).toBeCloseTo(0.001);
    expect(GO_DURATION.test('1h30m')).toBe(true);
    expect(parseGoDuration('2m')?.toSeconds()).toBe(120);
  });

  test('formats as one unit or as compound units', () => {
    expect(formatDuration(Duration.minutes(90), { units: ['h', 'm'], compound: true })).toBe('1h30m');
    expect(formatDuration(Duration.minutes(90), { units: ['d', 'h', 'm', 's'], compound: false })).toBe('90m');
    expect(formatDuration(Duration.millis(1500), { units: ['h', 'm', 's'], compound: false })).toBe('1500ms');
    expect(formatGoDuration(Duration.seconds(0))).toBe('0s');
  });
});
