// The Pulumi program (`pulumi up --stack <env>`): the environment's platform, declared from the same
// construct tree `npm run synth` writes for Flux. See program.ts for the engine-specific differences.
import { declarePlatform } from './program';
import { stackEnvironment } from './stack-config';

const config = stackEnvironment();
const platform = declarePlatform(config);

/** The environment this stack deploys. */
export const environment = config.name;
/** How it is delivered: `push` (Pulumi applies everything) or `gitops` (Pulumi installs Flux). */
export const delivery = config.delivery;
/** The layers Pulumi declared, in apply order. */
export const layers = [...platform.layers.keys()];
/** The Helm releases Pulumi declared. */
export const helmReleases = platform.helmReleases;
/** How many Kubernetes objects Pulumi declared besides the Helm releases. */
export const objectCount = platform.objects.length;
/** The ingress gateway's Service (`<namespace>/<name>`). */
export const ingressGatewayService = platform.ingressGateway?.service;
/** The ingress gateway's external address (push mode, once the load balancer assigned one). */
export const ingressGatewayAddress = platform.ingressGateway?.address;
/** In-cluster addresses of Prometheus, Grafana, Jaeger and Kiali (reach them with `kubectl port-forward`). */
export const endpoints = platform.endpoints;
