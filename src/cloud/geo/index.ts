/**
 * Geo area: IP keys and CIDR-to-country table parsing for jurisdiction decisions. Pure functions;
 * the store keeps `(start_key, end_key, country)` rows and compares keys as TEXT.
 */
export { GeoError, formatGeoProblem, type GeoErrorCode, type GeoProblem, type GeoProblemCode } from './geo-error.js';
export { ipToKey, parseCidr, keyToIp, formatKeyRange, KEY_HEX_DIGITS, IPV4_MAPPED_PREFIX } from './ip-key.js';
export { DEFAULT_GEO_CSV_LIMITS, type GeoCsvLimits } from './geo-limits.js';
export { sortAndCheckRanges, type GeoRange } from './geo-ranges.js';
export { parseCidrCountryCsv, parseGeoLite2Country, type CsvFile, type GeoLite2Files } from './geo-csv.js';
export { countGeoRanges, lookupCountry, replaceGeoRanges } from './geo-store.js';
