import { Construct } from 'constructs';
import { IMeshApp, MeshValidationError, MtlsMode, WorkloadIdentity, ZeroTrustPolicy } from '../constructs';
import { Layer, LayerChart } from './layer';

/** Properties of a {@link ZeroTrustChart}. */
export interface ZeroTrustChartProps {
  /** The apps to secure (typically every app of the environment); their declared dependencies are the allowed calls. */
  readonly apps: readonly IMeshApp[];
  /** Production enforces STRICT mTLS and default deny. */
  readonly production: boolean;
  /** The mesh-wide mTLS mode (`mesh:istio.mtls`; the PeerAuthentication itself is rendered by the mesh-config chart). */
  readonly mtls: 'STRICT' | 'PERMISSIVE';
  /** Deny what no rule allows. */
  readonly defaultDeny: boolean;
  /** A Sidecar per app scoped to its dependencies. */
  readonly sidecarScoping: boolean;
  /** A NetworkPolicy per app. */
  readonly networkPolicies: boolean;
  /** The ingress gateway's identity. */
  readonly ingressGateway: WorkloadIdentity;
  /** The apps the ingress gateway may call: `name` (in any namespace) or `namespace/name`. */
  readonly exposedApps: readonly string[];
  /** Prometheus's identity. */
  readonly prometheus: WorkloadIdentity;
}

/**
 * The zero-trust policy of an environment's apps (layer `apps`): one {@link ZeroTrustPolicy}
 * governing every app, so every declared call is an allowed call and nothing else is.
 */
export class ZeroTrustChart extends LayerChart {
  /** The policy (add explicit rules to it). */
  readonly policy: ZeroTrustPolicy;

  constructor(scope: Construct, id: string, props: ZeroTrustChartProps) {
    super(scope, id, { layer: Layer.APPS });
    if (props.production && props.mtls !== 'STRICT') {
      throw new MeshValidationError(`ZeroTrustChart ${this.node.path}: production requires STRICT mTLS, but mesh:istio.mtls is ${props.mtls}; set mesh:istio.mtls: STRICT`);
    }
    if (props.production && !props.defaultDeny) {
      throw new MeshValidationError(`ZeroTrustChart ${this.node.path}: production requires default deny, but mesh:security.defaultDeny is false; set it to true and declare every call with app.calls(...)`);
    }
    this.policy = new ZeroTrustPolicy(this, 'policy', {
      apps: [...props.apps],
      defaultDeny: props.defaultDeny,
      mtls: MtlsMode[props.mtls],
      sidecarScoping: props.sidecarScoping,
      networkPolicies: props.networkPolicies,
      ingressGateway: props.ingressGateway,
      prometheus: props.prometheus,
    });
    // An entry names an app (`httpbin`: in every namespace) or one app of one namespace (`demo/httpbin`).
    const byName = new Map<string, IMeshApp[]>();
    for (const app of props.apps) for (const key of [app.name, `${app.namespace}/${app.name}`]) byName.set(key, [...(byName.get(key) ?? []), app]);
    for (const name of props.exposedApps) {
      const apps = byName.get(name);
      if (!apps) {
        throw new MeshValidationError(`ZeroTrustChart ${this.node.path}: mesh:security.exposedApps names '${name}', which is not an app of this environment; use one of ${props.apps.map((a) => a.name).join(', ') || '(none)'} or remove it`);
      }
      apps.forEach((app) => this.policy.expose(app));
    }
  }
}
