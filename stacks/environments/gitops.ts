import { z } from 'zod';
import { DNS_LABEL } from '../../constructs/core/errors';
import { GO_DURATION } from '../../constructs/core/go-duration';
import { CHAT_SERVICE_NAMES } from '../../constructs/core/chat';

const label = z.string().regex(DNS_LABEL, 'must be a DNS-1123 label');
const duration = z.string().regex(GO_DURATION, 'must be a duration such as 30s, 5m or 1h');

/**
 * `mesh:gitops`: where Flux reads this environment from. With it, `npm run synth` writes a
 * `flux-system` layer (GitRepository, one Kustomization per layer, notifications) for the cluster.
 */
export const gitopsSchema = z.strictObject({
  /** The repository: `ssh://git@github.com/<org>/<repo>.git` (deploy key) or `https://...`. */
  url: z
    .string()
    .regex(
      /^(ssh|https):\/\/\S+$/,
      "must be an ssh:// or https:// URL, such as ssh://git@github.com/acme/mesh.git (write scp-style 'git@host:org/repo' as ssh://git@host/org/repo)",
    ),
  /** The branch Flux follows. */
  branch: z
    .string()
    .regex(
      /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]{1,255}(?<![./])$/,
      'must be a Git branch name of at most 255 characters (letters, digits, . _ - /), such as main',
    )
    .default('main'),
  /** The folder of this environment in the repository; `./dist/<env>` (where `npm run synth` writes) when left out. */
  path: z.string().optional(),
  /** Name of the flux-system Secret with the deploy key (`flux create secret git <name>`); the key itself is never in Git. */
  secretRef: label.default('flux-system'),
  /** How often Flux fetches Git and re-applies every layer (scenario S1: 5m). */
  interval: duration.default('5m'),
  /** How long a layer's apply and health checks may take. */
  timeout: duration.default('10m'),
  /** Flux events to Slack or Teams. */
  notifications: z
    .strictObject({
      /** `slack` or `teams` (`msteams`, Flux's name, is accepted too). */
      type: z.enum(CHAT_SERVICE_NAMES),
      /** Name of the flux-system Secret whose `address` key holds the webhook URL. */
      secretRef: label,
      /** Slack channel (Slack only). */
      channel: z.string().optional(),
      /** `info` (every event) or `error` (failures only). */
      severity: z.enum(['info', 'error']).default('info'),
    })
    .optional(),
});

/** Settings of `mesh:gitops`. */
export type GitopsSettings = z.output<typeof gitopsSchema>;
