import { ScimError } from './errors.ts';

/** Runs `run` and returns the ScimError it throws; anything else, or nothing thrown, fails the test. */
export function scimErrorOf(run: () => unknown): ScimError {
  try {
    run();
  } catch (err) {
    if (err instanceof ScimError) return err;
    throw err;
  }
  throw new Error('expected a ScimError, but nothing was thrown');
}
