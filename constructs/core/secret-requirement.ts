import { IConstruct } from 'constructs';
import { DNS_LABEL, invalid } from './errors';

/** A key of a Kubernetes Secret: letters, digits, '-', '_' and '.'. */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const SECRET_METADATA = 'mesh:secret';

/**
 * A Secret the platform reads but never generates: credentials stay out of Git (and out of Pulumi's
 * inputs). Constructs declare them with {@link requireSecret}; the synth lists them per environment
 * (`dist/<env>/SECRETS.md`) so that they exist before the layer that reads them is applied.
 */
export interface SecretRequirement {
  /** The Secret's name. */
  readonly name: string;
  /** Its namespace (a Secret is read from the namespace of the workload or object that references it). */
  readonly namespace: string;
  /** The keys read from it; none when the reader mounts the whole Secret and which keys it reads is the app's business. */
  readonly keys: readonly string[];
  /** What it is for, as a short phrase: `Grafana's admin login`. */
  readonly purpose: string;
  /** What happens while it is missing: `Grafana does not start, so the layer never becomes ready`. */
  readonly whenMissing: string;
  /**
   * Whether the platform comes up without it: an optional Secret only leaves one integration (chat
   * alerts) silent until it exists, it never blocks a layer. A required one must exist first.
   * @default false
   */
  readonly optional?: boolean;
  /**
   * Example values for the generated `kubectl create secret generic` command, by key (shell words,
   * such as `"$(openssl rand -base64 24)"`).
   * @default - `REPLACE_ME` for every key
   */
  readonly exampleValues?: Readonly<Record<string, string>>;
  /**
   * The command that creates it, when it is not `kubectl create secret generic` with literal values
   * (a deploy key from `flux create secret git`, a TLS Secret from files).
   * @default - `kubectl -n <namespace> create secret generic <name> --from-literal=<key>=<value> ...`
   */
  readonly createCommand?: string;
}

/** A Secret of the construct tree, with every construct that declared it (one Secret, possibly several readers). */
export interface DeclaredSecret extends SecretRequirement {
  /** The constructs that read it, in tree order. */
  readonly declaredBy: readonly IConstruct[];
}

/**
 * Declares that `scope` reads a Secret the platform does not create. Checked at once (names, keys,
 * purpose); collected by {@link secretRequirements}.
 * @returns the requirement as recorded
 */
export function requireSecret(scope: IConstruct, requirement: SecretRequirement): SecretRequirement {
  const fail = (message: string): never =>
    invalid('requireSecret', scope, `Secret ${requirement.namespace}/${requirement.name}: ${message}`);
  if (!DNS_LABEL.test(requirement.name)) fail(`name '${requirement.name}' is not a DNS-1123 label; use e.g. 'grafana-admin'`);
  if (!DNS_LABEL.test(requirement.namespace))
    fail(`namespace '${requirement.namespace}' is not a DNS-1123 label; use e.g. 'observability'`);
  for (const key of requirement.keys)
    if (!SECRET_KEY.test(key)) fail(`key '${key}' is not a Secret key; use letters, digits, '-', '_' or '.', e.g. 'admin-password'`);
  if (new Set(requirement.keys).size !== requirement.keys.length)
    fail(`lists a key twice (${requirement.keys.join(', ')}); list each key once`);
  for (const key of Object.keys(requirement.exampleValues ?? {}))
    if (!requirement.keys.includes(key))
      fail(`has an example value for '${key}', which is not one of its keys (${requirement.keys.join(', ')})`);
  if (!requirement.purpose.trim()) fail('has no purpose; say what reads it and for what, e.g. "Grafana\'s admin login"');
  if (!requirement.whenMissing.trim()) fail('does not say what happens while it is missing; say what does not start or stays silent');
  const recorded: SecretRequirement = { ...requirement, keys: [...requirement.keys] };
  scope.node.addMetadata(SECRET_METADATA, recorded);
  return recorded;
}

/**
 * Every Secret declared under `root`, one entry per namespace and name, sorted by namespace then name.
 * Several readers of one Secret merge: their keys add up (in declaration order), their purposes and
 * consequences are joined, and the Secret is optional only if every reader can do without it.
 */
export function secretRequirements(root: IConstruct): DeclaredSecret[] {
  const merged = new Map<
    string,
    { requirement: SecretRequirement; readers: IConstruct[]; purposes: string[]; consequences: string[]; keys: string[] }
  >();
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== SECRET_METADATA) continue;
      const r = entry.data as SecretRequirement;
      const key = `${r.namespace}/${r.name}`;
      const found = merged.get(key);
      if (!found) {
        merged.set(key, { requirement: r, readers: [c], purposes: [r.purpose], consequences: [r.whenMissing], keys: [...r.keys] });
        continue;
      }
      found.readers.push(c);
      if (!found.purposes.includes(r.purpose)) found.purposes.push(r.purpose);
      if (!found.consequences.includes(r.whenMissing)) found.consequences.push(r.whenMissing);
      for (const k of r.keys) if (!found.keys.includes(k)) found.keys.push(k);
      found.requirement = {
        ...found.requirement,
        optional: (found.requirement.optional ?? false) && (r.optional ?? false),
        exampleValues: { ...(r.exampleValues ?? {}), ...(found.requirement.exampleValues ?? {}) },
        createCommand: found.requirement.createCommand ?? r.createCommand,
      };
    }
  }
  return [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, m]) => ({
      ...m.requirement,
      keys: m.keys,
      purpose: m.purposes.join('; '),
      whenMissing: m.consequences.join('; '),
      optional: m.requirement.optional ?? false,
      declaredBy: m.readers,
    }));
}

/**
 * The shell command that creates a declared Secret: its own {@link SecretRequirement.createCommand},
 * or `kubectl create secret generic`.
 */
export function secretCreateCommand(secret: SecretRequirement): string {
  if (secret.createCommand) return secret.createCommand;
  const literals =
    secret.keys.length > 0
      ? secret.keys.map((k) => `--from-literal=${k}=${secret.exampleValues?.[k] ?? 'REPLACE_ME'}`)
      : ['--from-file=REPLACE_ME'];
  return `kubectl -n ${secret.namespace} create secret generic ${secret.name} ${literals.join(' ')}`;
}
