/** The public door of cloud/http: what the rest of Vigil may use from it. */
export { HttpError, forbidden, notFound, sendError } from './http-error.js';
export { definePublicRoute, defineRoute, readRouteChanges, registerRoute, type AnyRoute } from './route.js';
export { displayName, idString, jurisdictionCode, pageQuery, plainText } from './schemas.js';
export { systemRoutes } from './system-routes.js';
