/** The public door of cloud/http: what the rest of Vigil may use from it. */
export { HttpError, forbidden, notFound, sendError } from './http-error.js';
export { definePublicRoute, defineRoute, readRouteChanges, registerRoute, type AnyRoute } from './route.js';
export { displayName, idString, jurisdictionCode, pageQuery, plainText } from './schemas.js';
export { systemRoutes } from './system-routes.js';
export { limitConnections, overloadAnswer, ConnectionGate, REFUSAL_LINGER_MS, MAX_LINGERING_REFUSALS, type ConnectionLimits } from './connection-limits.js';
export { connectionsBelow, parseDescriptorLimit, readDescriptorLimit } from './descriptor-limit.js';
export { buildLoggerOptions } from './request-log.js';
