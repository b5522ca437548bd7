/**
 * What several analyzers derive from one input (the mesh model of the objects, the workload and layering rules), computed
 * once per {@link withRunCache} run instead of once per analyzer: at thousands of services each derivation is a pass over
 * every object. Outside a run nothing is kept, so a caller that changes its objects between two calls sees the change.
 */
let current: Map<string, WeakMap<object, unknown>> | undefined;

/** Runs `fn` with a fresh cache for {@link oncePerRun} (a nested run gets its own, and the outer one is restored after). */
export function withRunCache<T>(fn: () => T): T {
  const outer = current;
  current = new Map();
  try {
    return fn();
  } finally {
    current = outer;
  }
}

/**
 * `compute()`, or inside a {@link withRunCache} run the value it returned for the same `key` and `subject` (by identity)
 * earlier in that run. The value is shared: callers read it, never change it.
 */
export function oncePerRun<T>(key: string, subject: object, compute: () => T): T {
  if (!current) return compute();
  let values = current.get(key);
  if (!values) current.set(key, (values = new WeakMap()));
  if (values.has(subject)) return values.get(subject) as T;
  const value = compute();
  values.set(subject, value);
  return value;
}

/**
 * The objects of `objects` whose `kind` is `kind`, in their order. Inside a {@link withRunCache} run the index of every
 * kind is built once, in one pass, so each analyzer reads the objects of the kinds it checks instead of testing every
 * object; outside a run it is one pass per call.
 */
export function objectsOfKind<T extends { readonly kind: string }>(objects: readonly T[], kind: string): readonly T[] {
  return oncePerRun('objectsOfKind', objects, () => indexByKind(objects)).get(kind) ?? [];
}

function indexByKind<T extends { readonly kind: string }>(objects: readonly T[]): Map<string, T[]> {
  const byKind = new Map<string, T[]>();
  for (const o of objects) {
    const list = byKind.get(o.kind);
    if (list) list.push(o);
    else byKind.set(o.kind, [o]);
  }
  return byKind;
}
