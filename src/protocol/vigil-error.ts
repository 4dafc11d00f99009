/**
 * The base of every error Vigil throws on purpose. Each area keeps its own class with a `code` from
 * a closed union (EngineError, LicenseError, PolicyError, ...); extending this one class lets any
 * front end recognise them with `instanceof VigilError` without loading the area that threw, and
 * read the same three things from each: a stable `code`, a `message`, and an optional `hint` that
 * says what the user can do about it.
 *
 * It lives in protocol because protocol imports nothing of Vigil, so every area can extend it.
 * It does not set `name`: each class names itself, as it did before this base existed.
 */

/** One problem behind an error, e.g. a field of a request or a line of a file. */
export interface VigilErrorDetail {
  /** Where: `body.rules.3.until`, `rules.0.action`, `(root)`. */
  path: string;
  message: string;
}

export interface VigilErrorOptions {
  cause?: unknown;
  /** What the user can do about it, in plain words (printed by the CLI under the message). */
  hint?: string;
}

export abstract class VigilError extends Error {
  /** Stable and machine-readable; each subclass narrows it to its own closed union. */
  abstract readonly code: string;
  /** What the user can do about it; absent when there is nothing useful to say. */
  declare readonly hint?: string;

  constructor(message: string, options: VigilErrorOptions = {}) {
    // Passes `cause` on only when given, so an error without one has no `cause` property (as before).
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    if (options.hint !== undefined) this.hint = options.hint;
  }

  /** The problems behind the message, for a front end to list one a line under it; none by default. */
  listDetails(): readonly VigilErrorDetail[] {
    return [];
  }

  /** The line shown above a list of several details: the message, unless a subclass's message already joins them. */
  summariseDetails(): string {
    return this.message;
  }
}
