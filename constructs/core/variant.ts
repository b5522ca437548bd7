/**
 * The base of the library's enum-like classes (e.g. {@link MtlsMode}, {@link Protocol}): a closed set of
 * named instances, each a static member of its class, compared by identity. A subclass keeps its
 * constructor private so that its static members stay the only instances, and lists them in `ALL`.
 */
export abstract class Variant<N extends string = string> {
  protected constructor(
    /** The variant's name: the value the rendered resources and the platform's config carry, e.g. `STRICT`. */
    readonly name: N,
  ) {}

  /** The {@link name}, so that a variant reads as its name in template strings and messages. */
  toString(): string {
    return this.name;
  }
}
