/** Compiles signature sources into a release image; any error in the sources stops the release. */
import { compileSources, EngineError, formatProblem } from '../../engine/index.js';
import { UpdateError } from './update-error.js';

export function compileRelease(paths: string[]): { image: Uint8Array; warnings: string[] } {
  if (paths.length === 0) throw new UpdateError('BAD_SOURCES', 'no signature sources given');
  try {
    const { image, warnings } = compileSources(paths);
    return { image: new Uint8Array(image.buffer, image.byteOffset, image.byteLength), warnings: warnings.map(formatProblem) };
  } catch (e) {
    if (!(e instanceof EngineError)) throw e;
    throw new UpdateError('BAD_SOURCES', [e.message, ...e.problems.slice(0, 20).map(formatProblem)].join('\n  '), { cause: e });
  }
}
