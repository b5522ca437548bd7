import { App } from 'cdk8s';
import { DemoAppsChart, MeshConfigChart } from '../charts';
import { ResilienceDemoChart } from '../charts/resilience-demo';
import { EnvironmentConfig, resilienceDefaults } from './config';

/**
 * The whole platform of one environment as a cdk8s construct tree: the one model both engines
 * deliver (`cdk8s synth` writes it to a Flux tree; the Pulumi program declares its objects).
 *
 * Pure: plain config in, construct tree out. No I/O, no Pulumi outputs.
 * Chart ids are a public contract: they name output files and Pulumi resources.
 */
export function buildPlatform(config: EnvironmentConfig): App {
  const app = new App({ outdir: `dist/${config.name}` });
  new MeshConfigChart(app, 'mesh-config', config.istio);
  const demo = new DemoAppsChart(app, 'demo-apps', { ...config.demo, workloads: config.workloads });
  // Scenario S4 on the demo httpbin, with the environment's resilience defaults and fault policy.
  if (demo.httpbin) new ResilienceDemoChart(app, 'resilience-demo', { httpbin: demo.httpbin, defaults: resilienceDefaults(config.resilience) });
  return app;
}
