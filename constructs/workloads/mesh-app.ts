import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { DNS_LABEL, invalid, notDnsLabel } from '../core/errors';
import { EXTERNAL_HOST, serviceHost } from '../core/hosts';
import { Protocol } from '../core/protocol';
import { requireSecret } from '../core/secret-requirement';
import { IRouteRenderer, IRoutingController } from '../traffic/traffic';

/** The UID of Istio's sidecar proxy: an application container must never run as it. */
export const ISTIO_PROXY_UID = 1337;

/** CPU and memory of a container, as Kubernetes quantities (`100m`, `0.5`; `128Mi`, `1Gi`). */
export interface ResourceRequirements {
  /** What the scheduler reserves. */
  readonly requests: {
    /** CPU, such as `50m`. */
    readonly cpu: string;
    /** Memory, such as `64Mi`. */
    readonly memory: string;
  };
  /** The ceiling. */
  readonly limits: {
    /** CPU, such as `500m`. */
    readonly cpu: string;
    /** Memory, such as `256Mi`. */
    readonly memory: string;
  };
}

/** One port of a {@link MeshApp}: a Service port and the container port behind it. */
export interface MeshPort {
  /** The Service port clients call. */
  readonly port: number;
  /**
   * The container port.
   * @default - same as `port`
   */
  readonly targetPort?: number;
  /**
   * The application protocol; it decides the port name Istio reads.
   * @default Protocol.HTTP
   */
  readonly protocol?: Protocol;
  /**
   * The port name. Must be `<protocol>[-suffix]` for the port's protocol.
   * @default - the protocol name, suffixed with the port number when two ports share a protocol
   */
  readonly name?: string;
}

/** A named port of a {@link MeshApp}, resolved. */
export interface ResolvedMeshPort {
  /** The Service port's name, `<protocol>[-suffix]` (such as `http` or `grpc-admin`). */
  readonly name: string;
  /** The Service port. */
  readonly port: number;
  /** The container port behind it. */
  readonly targetPort: number;
  /** The protocol Istio treats its traffic as. */
  readonly protocol: Protocol;
}

/** One version of a {@link MeshApp}: its own Deployment, selected by the app's Service. */
export interface MeshAppVersion {
  /** The version label value, e.g. `v1`. */
  readonly name: string;
  /**
   * The container image of this version.
   * @default - the app's `image`
   */
  readonly image?: string;
  /**
   * Replicas of this version.
   * @default - the app's `replicas`
   */
  readonly replicas?: number;
  /**
   * Environment variables added to the app's for this version.
   * @default - none
   */
  readonly env?: Record<string, string>;
}

/** Horizontal pod autoscaling (`autoscaling/v2`) of each version's Deployment, on CPU utilization. */
export interface MeshAppAutoscaling {
  /** Fewest replicas. */
  readonly minReplicas: number;
  /** Most replicas. */
  readonly maxReplicas: number;
  /** Target average CPU utilization, percent of the request. */
  readonly cpuUtilization: number;
}

/** A Secret mounted read-only into the app's container. */
export interface SecretMount {
  /** The Secret's name; the Secret itself is never part of the generated manifests. */
  readonly secretName: string;
  /** Where to mount it. */
  readonly mountPath: string;
  /**
   * Start the pod even when the Secret does not exist.
   * @default false
   */
  readonly optional?: boolean;
}

/**
 * An external service a {@link MeshApp} calls: one of its host names (`api.github.com`), or an object with
 * hosts (an `ExternalService`: all of its hosts).
 */
export type ExternalTarget = string | { readonly hosts: readonly string[] };

/** Properties of a {@link MeshApp}. */
export interface MeshAppProps {
  /** The container image (pin a tag or digest). */
  readonly image: string;
  /** The ports the app serves; every pod of the mesh sits behind a Service, so at least one. */
  readonly ports: MeshPort[];
  /**
   * The app name: Service, ServiceAccount and `app` label.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The namespace.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * The versions of the app, one Deployment each (`<name>-<version>`), all behind the one Service.
   * @default - one version `v1`, in a Deployment named after the app
   */
  readonly versions?: MeshAppVersion[];
  /**
   * Replicas per version when not autoscaled.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * The container command (entrypoint).
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * The container arguments.
   * @default - the image's
   */
  readonly args?: string[];
  /**
   * Environment variables (plain values: reference Secrets through `secretMounts`, never inline them).
   * @default - none
   */
  readonly env?: Record<string, string>;
  /**
   * Requests and limits of the container.
   * @default - requests 50m CPU / 64Mi, limits 500m CPU / 256Mi
   */
  readonly resources?: ResourceRequirements;
  /**
   * Readiness probe.
   * @default - HTTP GET `/` on the first HTTP port, else a TCP check of the first port
   */
  readonly readiness?: kplus.Probe;
  /**
   * Liveness probe.
   * @default - same check as readiness, started after 10s and tolerant of 3 failures
   */
  readonly liveness?: kplus.Probe;
  /**
   * The UID the container runs as. Never 0 (root) nor 1337 (Istio's proxy).
   * @default 1000
   */
  readonly runAsUser?: number;
  /**
   * Paths that get a writable empty directory (the root filesystem is read-only).
   * @default - none
   */
  readonly writablePaths?: string[];
  /**
   * Secrets to mount.
   * @default - none
   */
  readonly secretMounts?: SecretMount[];
  /**
   * Autoscale each version with an HPA instead of fixed replicas.
   * @default - fixed replicas
   */
  readonly autoscaling?: MeshAppAutoscaling;
  /**
   * A PodDisruptionBudget (minAvailable 1) per version, created only for versions with 2 or more
   * replicas (with a single replica it would block node drains).
   * @default false
   */
  readonly podDisruptionBudget?: boolean;
  /**
   * Override the namespace's sidecar injection for this app (`sidecar.istio.io/inject` pod label).
   * @default - the namespace decides
   */
  readonly sidecarInjection?: boolean;
  /**
   * The external services the app calls (see {@link MeshApp.callsExternal}): its Sidecar imports their
   * ServiceEntry hosts, and the egress gateway when they are routed through it. Each host must be one of a
   * ServiceEntry of the tree (an `ExternalService`, such as one of `mesh:egress.services`).
   * @default - none: the app's proxy sees no external service
   */
  readonly egress?: readonly ExternalTarget[];
}

/** What other constructs need to know of an app of the mesh (no construct needs its class, or its children by id). */
export interface IMeshApp extends IConstruct {
  /** App name: its Service, its ServiceAccount and its `app` label. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
  /** Its ServiceAccount, the identity of its workloads (`cluster.local/ns/<ns>/sa/<name>`). */
  readonly serviceAccountName: string;
  /** Its Service ports. */
  readonly ports: readonly ResolvedMeshPort[];
  /** The version labels of its Deployments. */
  readonly versions: readonly string[];
  /** Fully qualified Service host: `<name>.<namespace>.svc.cluster.local`. */
  readonly host: string;
  /** The apps it calls (its Sidecar's egress and the callers its targets allow). */
  readonly dependencies: readonly IMeshApp[];
  /**
   * The controller that owns its Istio routing (a CanaryRelease: Flagger relabels its pods `<name>-primary`), if any.
   * @default - none: its own routing objects (a ResilientRoute, or none) route to it
   */
  readonly routingController?: IRoutingController;
  /**
   * The external hosts it calls (DNS names of ServiceEntries): its Sidecar imports these and no other.
   * @default - none
   */
  readonly externalHosts?: readonly string[];
}

/**
 * An app a progressive delivery can take over (what a CanaryRelease needs of it): its Deployment, autoscaler and
 * disruption budget per version, and the hand-over of its routing and of its Service.
 */
export interface IReleasableMeshApp extends IMeshApp {
  /** The Deployment of each version. */
  readonly deployments: ReadonlyMap<string, kplus.Deployment>;
  /** The HPA of each autoscaled version. */
  readonly autoscalers: ReadonlyMap<string, kplus.HorizontalPodAutoscaler>;
  /** The PodDisruptionBudget of each version that has one. */
  readonly disruptionBudgets: ReadonlyMap<string, k8s.KubePodDisruptionBudget>;
  /** Hands the app's routing to `controller` (see {@link MeshApp.setRoutingController}). */
  setRoutingController(controller: IRoutingController): void;
  /** Hands the app's Service to its routing controller (see {@link MeshApp.handOverService}). */
  handOverService(controller: IRoutingController): void;
}

const DEFAULT_RESOURCES: ResourceRequirements = { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } };

/**
 * One application of the mesh: a ServiceAccount, a Service, and one Deployment per version (with an
 * optional HPA and PodDisruptionBudget each).
 *
 * It makes Istio's workload requirements true instead of asking for them: ports named
 * `<protocol>[-suffix]`, `app` and `version` labels on every pod, every pod selected by the Service,
 * one protocol per container port, never UID 1337, non-root with no privilege escalation and no
 * capabilities, a read-only root filesystem, requests and limits, readiness and liveness probes.
 */
export class MeshApp extends Construct implements IReleasableMeshApp {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly ports: readonly ResolvedMeshPort[];
  readonly versions: readonly string[];
  readonly host: string;
  /** Replicas per version when not autoscaled. */
  readonly replicas: number;
  /** The UID (and GID) the containers run as. */
  readonly runAsUser: number;
  /** The autoscaling settings, if the app is autoscaled. */
  readonly autoscaling?: MeshAppAutoscaling;
  /** The ServiceAccount (escape hatch). */
  readonly serviceAccount: kplus.ServiceAccount;
  /** The Deployment of each version (escape hatch). */
  readonly deployments: ReadonlyMap<string, kplus.Deployment>;
  /** The HPA of each version, when autoscaled. */
  readonly autoscalers: ReadonlyMap<string, kplus.HorizontalPodAutoscaler>;
  /** The PodDisruptionBudget of each version that has one (escape hatch). */
  readonly disruptionBudgets: ReadonlyMap<string, k8s.KubePodDisruptionBudget>;

  private _service?: kplus.Service;
  private _serviceOwner?: IRoutingController;

  private readonly _dependencies = new Map<string, IMeshApp>();
  private readonly _externalHosts = new Set<string>();
  private _routingController?: IRoutingController;
  private _routesRenderedBy?: IRouteRenderer;
  private readonly resources: kplus.ContainerResources;

  constructor(scope: Construct, id: string, props: MeshAppProps) {
    super(scope, id);
    this.name = props.name ?? id;
    this.namespace =
      props.namespace ??
      Chart.of(this).namespace ??
      invalid('MeshApp', this, "no namespace: set 'namespace' or create the app in a chart that has one");
    this.serviceAccountName = this.name;
    this.host = serviceHost(this.name, this.namespace);
    this.replicas = props.replicas ?? 1;
    this.runAsUser = props.runAsUser ?? 1000;
    this.autoscaling = props.autoscaling;
    this.validateNames(props);
    this.ports = this.resolvePorts(props.ports);
    const versions = props.versions ?? [{ name: 'v1' }];
    this.validateVersions(versions);
    this.versions = versions.map((v) => v.name);
    this.validateWorkload(props, versions);
    // Mounted Secrets are never generated: the environment's list of Secrets names them.
    for (const m of props.secretMounts ?? []) {
      requireSecret(this, {
        name: m.secretName,
        namespace: this.namespace,
        keys: [],
        purpose: `mounted into ${this.namespace}/${this.name} at ${m.mountPath}`,
        whenMissing: m.optional
          ? `${this.name} starts without it (the volume is optional)`
          : `${this.name}'s pods do not start (the volume is required)`,
        optional: m.optional ?? false,
      });
    }
    this.resources = parseResources(props.resources ?? DEFAULT_RESOURCES, (msg) => invalid('MeshApp', this, msg));

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.serviceAccountName, labels: { app: this.name } },
      automountToken: false,
    });
    const service = new kplus.Service(this, 'Service', {
      metadata: { name: this.name, labels: { app: this.name, service: this.name } },
      ports: this.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.targetPort,
        protocol: p.protocol.transport === 'UDP' ? kplus.Protocol.UDP : kplus.Protocol.TCP,
      })),
    });
    service.selectLabel('app', this.name);
    this._service = service;

    const deployments = new Map<string, kplus.Deployment>();
    const autoscalers = new Map<string, kplus.HorizontalPodAutoscaler>();
    const budgets = new Map<string, k8s.KubePodDisruptionBudget>();
    for (const version of versions) {
      const deployment = this.addVersion(props, version, props.versions === undefined ? this.name : `${this.name}-${version.name}`);
      deployments.set(version.name, deployment);
      if (props.autoscaling) {
        autoscalers.set(
          version.name,
          new kplus.HorizontalPodAutoscaler(this, `Autoscaler-${version.name}`, {
            metadata: { name: deployment.name },
            target: deployment,
            minReplicas: props.autoscaling.minReplicas,
            maxReplicas: props.autoscaling.maxReplicas,
            metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(props.autoscaling.cpuUtilization))],
          }),
        );
      }
      const minimumReplicas = props.autoscaling?.minReplicas ?? version.replicas ?? this.replicas;
      if (props.podDisruptionBudget && minimumReplicas >= 2) {
        budgets.set(
          version.name,
          new k8s.KubePodDisruptionBudget(this, `Budget-${version.name}`, {
            metadata: { name: deployment.name, labels: { app: this.name, version: version.name } },
            spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { app: this.name, version: version.name } } },
          }),
        );
      }
    }
    this.deployments = deployments;
    this.autoscalers = autoscalers;
    this.disruptionBudgets = budgets;
    if (props.egress) this.callsExternal(...props.egress);
  }

  /**
   * The Service (escape hatch); `undefined` once the app's routing controller took it over
   * ({@link handOverService}: Flagger creates and reconciles the apex Service of a canaried app).
   */
  get service(): kplus.Service | undefined {
    return this._service;
  }

  /** The routing controller that owns the app's Service instead of the app, if any. */
  get serviceOwner(): IRoutingController | undefined {
    return this._serviceOwner;
  }

  /**
   * Hands the app's Service to its routing controller, which creates and reconciles it itself (Flagger's
   * apex Service `<app>`): the app's own Service would fight it, so it leaves the tree, and {@link service}
   * is `undefined` from then on. Fails when `controller` is not the app's routing controller.
   */
  handOverService(controller: IRoutingController): void {
    if (this._routingController !== controller) {
      invalid(
        'MeshApp',
        this,
        `${controller.controllerKind} ${controller.node.path} takes over the Service, but it does not own the app's routing; call setRoutingController first`,
      );
    }
    if (!this._service) return;
    this.node.tryRemoveChild(this._service.node.id);
    this._service = undefined;
    this._serviceOwner = controller;
  }

  /** The apps this app calls, in the order they were declared. */
  get dependencies(): readonly IMeshApp[] {
    return [...this._dependencies.values()];
  }

  /**
   * Declares that this app calls `target`. Security policies, sidecar scoping and the service graph
   * are generated from these declarations.
   * @returns the target
   */
  addDependency(target: IMeshApp): IMeshApp {
    const key = `${target.namespace}/${target.name}`;
    if (target === this)
      invalid(
        'MeshApp',
        this,
        `an app cannot depend on itself ('${key}'); its dependencies are the other apps it calls, so remove this addDependency`,
      );
    if (this._dependencies.has(key)) invalid('MeshApp', this, `dependency on '${key}' is declared twice; declare each dependency once`);
    this._dependencies.set(key, target);
    return target;
  }

  /** Declares that this app calls each of `targets` (see {@link addDependency}). */
  calls(...targets: IMeshApp[]): this {
    targets.forEach((t) => this.addDependency(t));
    return this;
  }

  /** The external hosts this app calls, in the order they were declared. */
  get externalHosts(): readonly string[] {
    return [...this._externalHosts];
  }

  /**
   * Declares that this app calls external services: each a host name (`api.github.com`) or an object with
   * hosts (an `ExternalService`, all of its hosts). Its Sidecar imports those hosts (and the egress gateway
   * they are routed through), and no other external host: under `REGISTRY_ONLY`, the app can reach exactly
   * these. A host no ServiceEntry of the tree names is an error at synthesis.
   */
  callsExternal(...targets: ExternalTarget[]): this {
    for (const target of targets) {
      for (const host of typeof target === 'string' ? [target] : target.hosts) {
        if (!EXTERNAL_HOST.test(host))
          invalid(
            'MeshApp',
            this,
            `egress host '${host}' is not a fully qualified external DNS name such as 'api.github.com' (no wildcard, scheme, port or path); name a host of an ExternalService (mesh:egress.services)`,
          );
        if (this._externalHosts.has(host)) invalid('MeshApp', this, `egress host '${host}' is declared twice; declare each host once`);
        this._externalHosts.add(host);
      }
    }
    return this;
  }

  /** The controller that owns this app's Istio routing (a CanaryRelease), if any. */
  get routingController(): IRoutingController | undefined {
    return this._routingController;
  }

  /**
   * Hands this app's routing to `controller`. Fails when another controller owns it. A route that already
   * renders the app's VirtualService/DestinationRule hands them over ({@link IRouteRenderer.handOverRoutes}):
   * its settings go to `controller` and its objects leave the tree, so the order in which the route and the
   * controller are created does not matter.
   */
  setRoutingController(controller: IRoutingController): void {
    if (this._routingController) {
      invalid(
        'MeshApp',
        this,
        `routing is already owned by ${this._routingController.controllerKind} ${this._routingController.node.path}; an app can have one ${controller.controllerKind}`,
      );
    }
    this._routingController = controller;
    const renderer = this._routesRenderedBy;
    this._routesRenderedBy = undefined;
    renderer?.handOverRoutes(controller);
  }

  /**
   * Records that `by` renders this app's own VirtualService/DestinationRule. Fails when a routing
   * controller owns the app (give it the settings through {@link routingController} instead), or when
   * another construct renders them already (one VirtualService per host).
   */
  claimRoutes(by: IRouteRenderer): void {
    if (this._routingController) {
      invalid(
        'MeshApp',
        this,
        `${by.node.path} cannot render routes: ${this._routingController.controllerKind} ${this._routingController.node.path} owns them; pass the settings to it`,
      );
    }
    if (this._routesRenderedBy && this._routesRenderedBy !== by) {
      invalid(
        'MeshApp',
        this,
        `routes are rendered by ${this._routesRenderedBy.node.path} already; one VirtualService per host, so put ${by.node.path}'s settings there`,
      );
    }
    this._routesRenderedBy = by;
  }

  /** The port with the given name or number. */
  port(nameOrNumber: string | number): ResolvedMeshPort {
    const found = this.ports.find((p) => p.name === nameOrNumber || p.port === nameOrNumber);
    return (
      found ?? invalid('MeshApp', this, `has no port '${nameOrNumber}'; ports: ${this.ports.map((p) => `${p.name}:${p.port}`).join(', ')}`)
    );
  }

  private validateNames(props: MeshAppProps): void {
    if (!DNS_LABEL.test(this.name))
      invalid('MeshApp', this, `name '${this.name}' is not a DNS-1123 label; use lowercase letters, digits and '-', such as 'httpbin'`);
    if (!DNS_LABEL.test(this.namespace)) invalid('MeshApp', this, notDnsLabel('namespace', this.namespace, 'demo'));
    if (!props.image || /\s/.test(props.image))
      invalid('MeshApp', this, `image '${props.image}' is not an image reference; use e.g. 'docker.io/mccutchen/go-httpbin:v2.15.0'`);
  }

  private resolvePorts(ports: readonly MeshPort[]): ResolvedMeshPort[] {
    if (ports.length === 0)
      invalid('MeshApp', this, 'has no ports; every pod of the mesh must be behind a Service, so declare at least one port');
    const perProtocol = new Map<Protocol, number>();
    ports.forEach((p) => perProtocol.set(p.protocol ?? Protocol.HTTP, (perProtocol.get(p.protocol ?? Protocol.HTTP) ?? 0) + 1));
    const resolved = ports.map((p) => {
      for (const [field, value] of [
        ['port', p.port],
        ['targetPort', p.targetPort ?? p.port],
      ] as const) {
        if (!Number.isInteger(value) || value < 1 || value > 65535)
          invalid('MeshApp', this, `${field} ${value} is not a port number; use 1-65535`);
      }
      const protocol = p.protocol ?? Protocol.HTTP;
      const name = p.name ?? ((perProtocol.get(protocol) ?? 0) > 1 ? `${protocol.name}-${p.port}` : protocol.name);
      const declared = Protocol.fromPortName(name);
      if (!declared) {
        invalid(
          'MeshApp',
          this,
          `port name '${name}' is not <protocol>[-suffix], so Istio would treat port ${p.port} as plain TCP (no routing, retries or metrics); use '${protocol.name}-${name}' or leave the name out`,
        );
      }
      if (declared !== protocol) {
        invalid(
          'MeshApp',
          this,
          `port name '${name}' declares protocol ${declared.name} but the port's protocol is ${protocol.name}; use '${protocol.name}' or '${protocol.name}-<suffix>'`,
        );
      }
      return { name, port: p.port, targetPort: p.targetPort ?? p.port, protocol };
    });
    const seen = new Map<string, ResolvedMeshPort>();
    const byTarget = new Map<number, ResolvedMeshPort>();
    for (const p of resolved) {
      for (const key of [`name ${p.name}`, `port ${p.port}`]) {
        if (seen.has(key)) invalid('MeshApp', this, `${key} is declared twice; each Service port needs its own name and number`);
        seen.set(key, p);
      }
      const other = byTarget.get(p.targetPort);
      if (other && other.protocol !== p.protocol) {
        invalid(
          'MeshApp',
          this,
          `container port ${p.targetPort} is exposed as ${other.protocol.name} (port ${other.port}) and as ${p.protocol.name} (port ${p.port}); Istio needs one protocol per port, so use one protocol or separate container ports`,
        );
      }
      byTarget.set(p.targetPort, p);
    }
    return resolved;
  }

  private validateVersions(versions: readonly MeshAppVersion[]): void {
    if (versions.length === 0) invalid('MeshApp', this, "'versions' is empty; leave it out for a single v1, or list at least one version");
    const names = new Set<string>();
    for (const v of versions) {
      if (!/^[a-z0-9]([-a-z0-9.]{0,30}[a-z0-9])?$/.test(v.name))
        invalid('MeshApp', this, `version '${v.name}' is not a valid label value; use e.g. 'v1' or 'v2-beta'`);
      if (names.has(v.name)) invalid('MeshApp', this, `version '${v.name}' is declared twice`);
      names.add(v.name);
      if (v.replicas !== undefined) this.validateReplicas(`version ${v.name} replicas`, v.replicas);
    }
  }

  private validateWorkload(props: MeshAppProps, versions: readonly MeshAppVersion[]): void {
    this.validateReplicas('replicas', this.replicas);
    const user = this.runAsUser;
    if (user === ISTIO_PROXY_UID)
      invalid(
        'MeshApp',
        this,
        `runAsUser ${ISTIO_PROXY_UID} is the UID of Istio's sidecar proxy, whose traffic bypasses interception; use another UID such as 1000`,
      );
    if (!Number.isInteger(user) || user < 1)
      invalid('MeshApp', this, `runAsUser ${user} is not a non-root UID; use a positive UID such as 1000`);
    const a = props.autoscaling;
    if (a) {
      if (!Number.isInteger(a.minReplicas) || a.minReplicas < 1 || a.maxReplicas < a.minReplicas) {
        invalid(
          'MeshApp',
          this,
          `autoscaling minReplicas ${a.minReplicas} / maxReplicas ${a.maxReplicas} is not a range; use 1 <= minReplicas <= maxReplicas`,
        );
      }
      if (a.cpuUtilization < 1 || a.cpuUtilization > 1000)
        invalid(
          'MeshApp',
          this,
          `autoscaling cpuUtilization ${a.cpuUtilization} is out of range; use a percentage of the CPU request, 1-1000`,
        );
      if (versions.some((v) => v.replicas !== undefined))
        invalid('MeshApp', this, 'per-version replicas and autoscaling exclude each other; remove one');
    }
    for (const path of [...(props.writablePaths ?? []), ...(props.secretMounts ?? []).map((m) => m.mountPath)]) {
      if (!path.startsWith('/')) invalid('MeshApp', this, `mount path '${path}' is not absolute; use e.g. '/tmp'`);
    }
  }

  private validateReplicas(what: string, value: number): void {
    if (!Number.isInteger(value) || value < 1) invalid('MeshApp', this, `${what} ${value} is not a positive whole number; use 1 or more`);
  }

  private addVersion(props: MeshAppProps, version: MeshAppVersion, deploymentName: string): kplus.Deployment {
    const labels = { app: this.name, version: version.name };
    const podLabels: Record<string, string> = { ...labels };
    if (props.sidecarInjection !== undefined) podLabels['sidecar.istio.io/inject'] = String(props.sidecarInjection);
    const deployment = new kplus.Deployment(this, `Deployment-${version.name}`, {
      metadata: { name: deploymentName, labels },
      podMetadata: { labels: podLabels },
      select: false,
      replicas: props.autoscaling ? undefined : (version.replicas ?? this.replicas),
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      // fsGroup: mounted volumes (secrets, emptyDirs) belong to the container's group.
      securityContext: { ensureNonRoot: true, user: this.runAsUser, group: this.runAsUser, fsGroup: this.runAsUser },
    });
    deployment.select(kplus.LabelSelector.of({ labels }));
    const httpPort = this.ports.find((p) => p.protocol.isHttp);
    const readiness =
      props.readiness ??
      (httpPort
        ? kplus.Probe.fromHttpGet('/', { port: httpPort.targetPort })
        : kplus.Probe.fromTcpSocket({ port: this.ports[0].targetPort }));
    const liveness =
      props.liveness ??
      (httpPort
        ? kplus.Probe.fromHttpGet('/', { port: httpPort.targetPort, initialDelaySeconds: Duration.seconds(10), failureThreshold: 3 })
        : kplus.Probe.fromTcpSocket({ port: this.ports[0].targetPort, initialDelaySeconds: Duration.seconds(10), failureThreshold: 3 }));
    const container = deployment.addContainer({
      name: this.name,
      image: version.image ?? props.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: props.command,
      args: props.args,
      ports: uniqueBy(this.ports, (p) => p.targetPort).map((p) => ({
        number: p.targetPort,
        name: containerPortName(p),
        protocol: p.protocol.transport === 'UDP' ? kplus.Protocol.UDP : kplus.Protocol.TCP,
      })),
      envVariables: Object.fromEntries(Object.entries({ ...props.env, ...version.env }).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)])),
      resources: this.resources,
      readiness,
      liveness,
      securityContext: {
        ensureNonRoot: true,
        user: this.runAsUser,
        group: this.runAsUser,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        // cdk8s-plus lists single capabilities only; 'ALL' is what the kubelet understands as every one.
        capabilities: { drop: ['ALL' as kplus.Capability] },
      },
    });
    (props.writablePaths ?? []).forEach((path, i) => {
      container.mount(path, kplus.Volume.fromEmptyDir(deployment, `writable-${i}`, `writable-${i}`));
    });
    (props.secretMounts ?? []).forEach((m, i) => {
      const secret = kplus.Secret.fromSecretName(deployment, `secret-${i}`, m.secretName);
      container.mount(
        m.mountPath,
        kplus.Volume.fromSecret(deployment, `secret-volume-${i}`, secret, { name: `secret-${i}`, optional: m.optional ?? false }),
        { readOnly: true },
      );
    });
    // Seccomp RuntimeDefault at pod level: cdk8s-plus has no prop for it. Its construct-address pod
    // label is dropped: selection is by app and version, and a label derived from the construct path
    // would restart every pod on a refactoring.
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
    );
    return deployment;
  }
}

/** Container port names are at most 15 characters; Istio reads the Service port name, not these. */
function containerPortName(p: ResolvedMeshPort): string {
  return p.name.length <= 15 ? p.name : p.name.slice(0, 15).replace(/-+$/, '');
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => unknown): T[] {
  const seen = new Set<unknown>();
  return items.filter((item) => (seen.has(key(item)) ? false : (seen.add(key(item)), true)));
}

/** Parses Kubernetes quantities into cdk8s-plus resources, checking requests do not exceed limits. */
export function parseResources(r: ResourceRequirements, fail: (message: string) => never): kplus.ContainerResources {
  const millicores = (q: string): number => {
    const m = /^([0-9]+)m$/.exec(q) ?? /^([0-9]+(?:\.[0-9]+)?)$/.exec(q);
    if (!m) return fail(`CPU '${q}' is not a quantity; use millicores such as '250m' or cores such as '0.5'`);
    return q.endsWith('m') ? Number(m[1]) : Math.round(Number(m[1]) * 1000);
  };
  const mebibytes = (q: string): number => {
    const m = /^([0-9]+)(Ki|Mi|Gi|Ti)$/.exec(q);
    if (!m) return fail(`memory '${q}' is not a quantity; use binary units such as '128Mi' or '1Gi'`);
    return Number(m[1]) * { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 }[m[2] as 'Ki' | 'Mi' | 'Gi' | 'Ti'];
  };
  const cpu = { request: millicores(r.requests.cpu), limit: millicores(r.limits.cpu) };
  const memory = { request: mebibytes(r.requests.memory), limit: mebibytes(r.limits.memory) };
  if (cpu.request > cpu.limit)
    fail(`CPU request ${r.requests.cpu} exceeds its limit ${r.limits.cpu}; raise the limit or lower the request`);
  if (memory.request > memory.limit)
    fail(`memory request ${r.requests.memory} exceeds its limit ${r.limits.memory}; raise the limit or lower the request`);
  const size = (q: string): Size => {
    const [, n, unit] = /^([0-9]+)(Ki|Mi|Gi|Ti)$/.exec(q)!;
    // Containers are rendered in Mi: a Ki value that is no whole Mi (1536Ki) is written as its exact fraction (1.5Mi).
    if (unit === 'Ki') return Size.mebibytes(Number(n) / 1024);
    return { Mi: Size.mebibytes, Gi: Size.gibibytes, Ti: Size.tebibytes }[unit as 'Mi' | 'Gi' | 'Ti'](Number(n));
  };
  return {
    cpu: { request: kplus.Cpu.millis(cpu.request), limit: kplus.Cpu.millis(cpu.limit) },
    memory: { request: size(r.requests.memory), limit: size(r.limits.memory) },
  };
}
