/**
 * Resource paths of the C2SP tlog-tiles specification (c2sp.org/tlog-tiles):
 *
 *   tile/<L>/<N>[.p/<W>]         a Merkle tile: level L (0 to 63), index N, width W if partial
 *   tile/entries/<N>[.p/<W>]     an entry bundle: the entries of level 0 tile N
 *
 * <N> is written in zero-padded groups of three digits, every group but the last starting with
 * `x` (1234067 is `x001/x234/067`), so that a file system can hold the tiles without a name being
 * both a file and a folder. <W> (1 to 255) is present only for a partial tile; a full tile is 256
 * hashes wide. Numbers have no extra leading zeros. Paths are relative to the log's URL prefix.
 */
import { TlogError } from './errors.js';

/** C2SP tlog-tiles: a tile spans 8 levels of the tree... */
export const TILE_HEIGHT = 8;
/** ...so a full tile holds 2^8 = 256 hashes (8,192 bytes), and an entry bundle 256 entries. */
export const TILE_WIDTH = 256;
/** C2SP tlog-tiles: levels run from 0 to 63. */
export const TILE_MAX_LEVEL = 63;

/** Tile N at level L, `width` hashes wide (TILE_WIDTH for a full tile). */
export interface TileCoordinate {
  level: number;
  index: number;
  width: number;
}

export type ParsedTilePath = ({ kind: 'tile' } & TileCoordinate) | { kind: 'entries'; index: number; width: number };

/** `x001/x234/067` for 1234067; `000` for 0. */
export function formatTileIndex(index: number): string {
  checkIndex(index);
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** `tile/<L>/<N>[.p/<W>]`. */
export function tilePath(tile: TileCoordinate): string {
  if (!Number.isInteger(tile.level) || tile.level < 0 || tile.level > TILE_MAX_LEVEL) {
    throw new TlogError('BAD_ARGUMENT', `tile level must be an integer from 0 to ${TILE_MAX_LEVEL}, found ${String(tile.level)}`);
  }
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${widthSuffix(tile.width)}`;
}

/** `tile/entries/<N>[.p/<W>]`: the entries of level 0 tile `index`. */
export function entryBundlePath(index: number, width: number): string {
  return `tile/entries/${formatTileIndex(index)}${widthSuffix(width)}`;
}

const PATH_RE = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/**
 * Reads a tile or entry bundle path, strictly: exactly one path names one resource (no extra
 * leading zeros, no `x000/` group in front, no `.p/256`). Throws MALFORMED_TILE.
 */
export function parseTilePath(path: string): ParsedTilePath {
  const m = PATH_RE.exec(path);
  const bad = (why: string): never => {
    throw new TlogError('MALFORMED_TILE', `"${path.slice(0, 200)}" is not a tile path: ${why}`);
  };
  if (!m) return bad('expected tile/<level>/<index>[.p/<width>] or tile/entries/<index>[.p/<width>]');
  const [, levelText, indexText, widthText] = m as unknown as [string, string, string, string | undefined];
  const index = Number(indexText.replaceAll('x', '').replaceAll('/', ''));
  if (!Number.isSafeInteger(index)) return bad(`index past ${Number.MAX_SAFE_INTEGER}`);
  if (formatTileIndex(index) !== indexText) return bad('the index has extra leading zero groups');
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (widthText !== undefined && width >= TILE_WIDTH) return bad(`a partial tile is 1 to ${TILE_WIDTH - 1} wide`);
  if (levelText === 'entries') return { kind: 'entries', index, width };
  const level = Number(levelText);
  if (level > TILE_MAX_LEVEL) return bad(`levels run from 0 to ${TILE_MAX_LEVEL}`);
  return { kind: 'tile', level, index, width };
}

function widthSuffix(width: number): string {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new TlogError('BAD_ARGUMENT', `tile width must be an integer from 1 to ${TILE_WIDTH}, found ${String(width)}`);
  }
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new TlogError('BAD_ARGUMENT', `tile index must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, found ${String(index)}`);
  }
}
