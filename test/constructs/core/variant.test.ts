import * as lib from '../../../index';
import { AccessAction, CanaryAlertSeverity, MtlsMode, Protocol, Variant } from '../../../index';

/** Every class the package root exports with a static `ALL` array: the library's enum-like classes. */
type EnumLike = abstract new (...args: never[]) => unknown;
const enumLike = (Object.entries(lib) as [string, unknown][]).filter(
  (entry): entry is [string, EnumLike & { ALL: readonly unknown[] }] =>
    typeof entry[1] === 'function' && Array.isArray((entry[1] as { ALL?: unknown }).ALL),
);

describe('Variant, the base of the enum-like classes', () => {
  test('the package root exports the enum-like classes', () => {
    expect(enumLike.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'AccessAction',
        'AlertSeverity',
        'ChatService',
        'FluxEventSeverity',
        'GatewayDirection',
        'GatewayServiceType',
        'GrpcStatus',
        'HelmCrdPolicy',
        'IssuerKind',
        'IstioProfile',
        'MeshOutboundTrafficMode',
        'MtlsMode',
        'PodSecurityLevel',
        'Protocol',
        'RetryOn',
        'TracingProtocol',
      ]),
    );
  });

  test.each(enumLike)('%s: every member is a Variant with a distinct name, and reads as its name', (_, cls) => {
    expect(cls.ALL.length).toBeGreaterThan(0);
    for (const member of cls.ALL) {
      expect(member).toBeInstanceOf(Variant);
      expect(member).toBeInstanceOf(cls);
      const v = member as Variant;
      expect(typeof v.name).toBe('string');
      expect(String(v)).toBe(v.name);
      expect(`${v}`).toBe(v.name);
    }
    const names = cls.ALL.map((m) => (m as Variant).name);
    expect(new Set(names).size).toBe(names.length);
  });

  test('names keep their literal types, the constructors stay private, extra fields stay', () => {
    const mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE' = MtlsMode.STRICT.name;
    const action: 'ALLOW' | 'DENY' = AccessAction.DENY.name;
    expect([mode, action]).toEqual(['STRICT', 'DENY']);
    expect(Protocol.UDP.transport).toBe('UDP');
    // CanaryAlertSeverity has no ALL: checked here
    for (const severity of [CanaryAlertSeverity.INFO, CanaryAlertSeverity.WARN, CanaryAlertSeverity.ERROR]) {
      expect(severity).toBeInstanceOf(Variant);
      expect(String(severity)).toBe(severity.name);
    }
    // @ts-expect-error the constructor is private: the static members are the only instances
    expect(() => new MtlsMode('STRICT')).toBeDefined();
  });
});
