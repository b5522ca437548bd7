import { ConfigError } from '../../stacks/environments';

/** The problems `fn` reports as a ConfigError; fails the test when it throws nothing or something else. */
export function configProblems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a ConfigError');
}
