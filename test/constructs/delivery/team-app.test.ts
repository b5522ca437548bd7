import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { Layer, LayerChart } from '../../../charts';
import {
  CanaryRelease,
  IMeshApp,
  IReleasableMeshApp,
  IRouteRenderer,
  IRoutingController,
  Protocol,
  ResolvedMeshPort,
  serviceHost,
  Strategy,
  WeightedSplit,
} from '../../../constructs';

/** An app of the mesh that is not a MeshApp (a team's own construct): what CanaryRelease and WeightedSplit read. */
class TeamApp extends Construct implements IReleasableMeshApp {
  readonly name = 'shop';
  readonly namespace = 'team';
  readonly serviceAccountName = 'shop';
  readonly ports: readonly ResolvedMeshPort[] = [{ name: 'http', port: 80, targetPort: 8080, protocol: Protocol.HTTP }];
  readonly host = serviceHost('shop', 'team');
  readonly dependencies: readonly IMeshApp[] = [];
  readonly deployments = new Map<string, kplus.Deployment>();
  readonly autoscalers = new Map<string, kplus.HorizontalPodAutoscaler>();
  readonly disruptionBudgets = new Map();
  routingController?: IRoutingController;
  routes?: IRouteRenderer;

  constructor(
    scope: Construct,
    id: string,
    readonly versions: readonly string[],
  ) {
    super(scope, id);
    for (const version of versions) {
      const deployment = new kplus.Deployment(this, `Deployment-${version}`, {
        metadata: { name: versions.length === 1 ? 'shop' : `shop-${version}` },
        replicas: 1,
        containers: [{ image: 'shop:1', portNumber: 8080, securityContext: { ensureNonRoot: false } }],
      });
      this.deployments.set(version, deployment);
    }
  }

  setRoutingController(controller: IRoutingController): void {
    this.routingController = controller;
  }

  handOverService(): void {}

  claimRoutes(by: IRouteRenderer): void {
    this.routes = by;
  }
}

describe('CanaryRelease and WeightedSplit take interfaces, not MeshApp', () => {
  const chart = () => new LayerChart(Testing.app(), 'apps', { layer: Layer.APPS, namespace: 'team' });

  test("a CanaryRelease of a team's own app (IReleasableMeshApp) targets its Deployment and owns its routing", () => {
    const c = chart();
    const app = new TeamApp(c, 'shop', ['v1']);
    const release = new CanaryRelease(c, 'release', { app, strategy: Strategy.progressive({ stepWeight: 20 }) });
    expect(app.routingController).toBe(release);
    const canary = Testing.synth(c).find((o) => o.kind === 'Canary');
    expect(canary.spec).toMatchObject({ targetRef: { kind: 'Deployment', name: 'shop' }, service: { name: 'shop', port: 80 } });
  });

  test("a WeightedSplit of a team's own app (IRoutableMeshApp) claims its routes and splits by version", () => {
    const c = chart();
    const app = new TeamApp(c, 'shop', ['v1', 'v2']);
    const split = new WeightedSplit(c, 'split', {
      app,
      weights: [
        { version: 'v1', weight: 90 },
        { version: 'v2', weight: 10 },
      ],
    });
    expect(app.routes).toBe(split);
    const vs = Testing.synth(c).find((o) => o.kind === 'VirtualService');
    expect(vs.spec.http[vs.spec.http.length - 1].route.map((r: { weight: number }) => r.weight)).toEqual([90, 10]);
  });
});
