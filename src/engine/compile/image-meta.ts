/**
 * The image's meta sections: META_COUNTS (layout.ts META, u32 fields the loader and `db info` read)
 * and META_TEXT, one `key=value ...` line per source and per reason signatures were skipped.
 */
import type { SourceInfo } from '../signatures/index.js';

/** META_TEXT lines: every source (a container with its header fields), then the skip reasons and counts. */
export function formatMetaText(sources: readonly SourceInfo[], skipped: ReadonlyMap<string, number>): string {
  const text: string[] = [];
  for (const s of sources) {
    if (s.container) {
      const c = s.container;
      text.push(`source=${s.name} version=${c.version} signatures=${c.signatures} built=${c.buildTime} flevel=${c.functionalityLevel} builder=${c.builder}`);
    } else text.push(`source=${s.name}`);
  }
  for (const [reason, n] of skipped) text.push(`skipped=${n} ${reason.replace(/\n/g, ' ')}`);
  return text.join('\n');
}
