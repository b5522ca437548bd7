import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * Runs `fn` with every ApiObject of the tree resolving to JSON once: the first `toJson()` of each object is
 * kept and returned again to every later caller until `fn` returns. For the validation and rendering of a
 * finished tree, where each VirtualService, DestinationRule and Canary is otherwise resolved by several
 * validators and then rendered again. The JSON is shared: callers must read it, not change it.
 */
export function withJsonResolvedOnce<T>(root: IConstruct, fn: () => T): T {
  const objects = root.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
  const own = objects.map((o) => Object.getOwnPropertyDescriptor(o, 'toJson'));
  for (const o of objects) {
    const resolve = o.toJson;
    let json: any;
    let resolved = false;
    Object.defineProperty(o, 'toJson', {
      configurable: true,
      writable: true,
      value: () => {
        if (!resolved) {
          json = resolve.call(o);
          resolved = true;
        }
        return json;
      },
    });
  }
  try {
    return fn();
  } finally {
    // Back to the object's own toJson: a later change to the tree shows in the next rendering.
    objects.forEach((o, i) => {
      delete (o as { toJson?: unknown }).toJson;
      if (own[i]) Object.defineProperty(o, 'toJson', own[i]!);
    });
  }
}
