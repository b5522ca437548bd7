import { Chart, Testing } from 'cdk8s';
import { AccessAction, MeshApp, Peer, Protocol, ZeroTrustPolicy } from '../../../constructs';

describe('AccessAction', () => {
  test('ALL lists ALLOW and DENY by their AuthorizationPolicy names', () => {
    expect(AccessAction.ALL).toEqual([AccessAction.ALLOW, AccessAction.DENY]);
    expect(AccessAction.ALL.map((a) => a.name)).toEqual(['ALLOW', 'DENY']);
    expect(`${AccessAction.DENY}`).toBe('DENY');
  });

  test("a rule's action is the one of the policy method that made it, named in its errors and rendered as before", () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'demo' });
    const db = new MeshApp(chart, 'db', { image: 'x:1', ports: [{ port: 5432, protocol: Protocol.TCP }] });
    const policy = new ZeroTrustPolicy(chart, 'zero-trust', { apps: [db] });
    const allow = policy.allow(Peer.namespace('demo'), db);
    const deny = policy.deny(Peer.namespace('other'), db);
    expect([allow.action, deny.action]).toEqual([AccessAction.ALLOW, AccessAction.DENY]);
    expect(() => deny.onPaths('/x')).toThrow(/DENY rule to demo\/db: /);
    const actions = Testing.synth(chart)
      .filter((o) => o.kind === 'AuthorizationPolicy')
      .map((o) => o.spec.action);
    expect(actions).toContain('ALLOW');
    expect(actions).toContain('DENY');
  });
});
