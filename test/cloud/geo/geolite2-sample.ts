// A small GeoLite2-Country-like sample in MaxMind's CSV layout (made-up rows, real column names).

export const LOCATIONS = `geoname_id,locale_code,continent_code,continent_name,country_iso_code,country_name,is_in_european_union
1835841,en,AS,Asia,KR,"Korea, Republic of",0
2921044,en,EU,Europe,DE,Germany,1
3042058,en,EU,Europe,LI,"Liechtenstein ""FL""",0
6252001,en,NA,"North America",US,"United States",0
6255148,en,EU,Europe,,,0
`;

export const BLOCKS_V4 = `network,geoname_id,registered_country_geoname_id,represented_country_geoname_id,is_anonymous_proxy,is_satellite_provider,is_anycast
1.0.0.0/24,1835841,1835841,,0,0,
2.0.0.0/16,,2921044,,0,0,
3.0.0.0/8,6255148,2921044,,0,0,
4.0.0.0/8,6255148,,,0,0,
5.0.0.0/8,,,,1,0,
6.0.0.0/8,3042058,2921044,6252001,0,0,1
`;

export const BLOCKS_V6 = `network,geoname_id,registered_country_geoname_id,represented_country_geoname_id,is_anonymous_proxy,is_satellite_provider
2001:200::/32,1835841,1835841,,0,0
2a02:8000::/20,2921044,2921044,,0,0
2c0f:f000::/24,6252001,6252001,,0,0
`;
