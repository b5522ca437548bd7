/**
 * What production requires its `Pulumi.<env>.yaml` to set because no preset can know it (stacks/environments/rules.ts):
 * the public host's TLS and the Git repository Flux reads. Tests of a production environment start from these.
 */
export const PRODUCTION_REQUIRED = {
  'mesh:ingress': {
    tls: {
      hosts: ['mesh.example.com'],
      redirectHttp: false,
      serveHttp: false,
      issuer: { type: 'acme', email: 'platform-team@example.com' },
      certManagerReplicas: 2,
    },
  },
  'mesh:gitops': { url: 'ssh://git@github.com/example-org/mesh-platform.git', branch: 'main', secretRef: 'flux-system' },
} as const;
