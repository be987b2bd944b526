/**
 * The endpoints of the IC HTTP interface the replica serves, across the generations agents use:
 *
 * | endpoint                                   | versions    | served as                          |
 * | ------------------------------------------ | ----------- | ---------------------------------- |
 * | `GET  /api/v2/status`                      | v2          | CBOR status with the root key      |
 * | `POST /api/<v>/canister/<id>/call`         | v2          | asynchronous: 202, then read_state |
 * | `POST /api/<v>/canister/<id>/call`         | v3, v4      | synchronous: the call's certificate|
 * | `POST /api/<v>/canister/<id>/query`        | v2, v3      | a reply signed by the node key     |
 * | `POST /api/<v>/canister/<id>/read_state`   | v2, v3      | a certificate of the paths         |
 * | `POST /api/<v>/subnet/<id>/read_state`     | v2, v3      | a certificate of the subnet paths  |
 *
 * `@dfinity/agent` 2.x and 3.x call v3 (falling back to v2 on 404) and query and read at v2;
 * `@icp-sdk/core` 5 and 6 call v4 (falling back to v2 on 404) and query and read at v3.
 */

/** The generation of the interface named in a URL. */
export type ApiVersion = 'v2' | 'v3' | 'v4';

/** What a URL asks for, once its method and shape are known to be served. */
export type Route =
  | { readonly kind: 'status' }
  | {
      readonly kind: 'call';
      readonly version: ApiVersion;
      readonly canisterText: string;
      /** `sync` answers with the call's certificate, `async` with 202 and leaves the status to read_state. */
      readonly mode: 'sync' | 'async';
    }
  | { readonly kind: 'query'; readonly version: ApiVersion; readonly canisterText: string }
  | { readonly kind: 'read_state'; readonly version: ApiVersion; readonly canisterText: string }
  | { readonly kind: 'subnet_read_state'; readonly version: ApiVersion; readonly subnetText: string };

/** A URL the replica does not serve: 404 for an unknown path, 405 for a known path and another method. */
export interface RouteRefusal {
  readonly kind: 'refused';
  readonly status: 404 | 405;
  /** The method the path is served with, for the `Allow` header of a 405. */
  readonly allow?: 'GET' | 'POST';
  readonly message: string;
}

interface EndpointSpec {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  /** The shape shown in the list of endpoints. */
  readonly shape: string;
  readonly route: (match: RegExpExecArray) => Route;
}

const ENDPOINTS: readonly EndpointSpec[] = [
  {
    method: 'GET',
    pattern: /^\/api\/v2\/status$/,
    shape: '/api/v2/status',
    route: () => ({ kind: 'status' }),
  },
  {
    method: 'POST',
    pattern: /^\/api\/(v2|v3|v4)\/canister\/([^/]+)\/call$/,
    shape: '/api/{v2,v3,v4}/canister/<canister_id>/call',
    route: ([, version, canisterText]) => ({
      kind: 'call',
      version: version as ApiVersion,
      canisterText,
      mode: version === 'v2' ? 'async' : 'sync',
    }),
  },
  {
    method: 'POST',
    pattern: /^\/api\/(v2|v3)\/canister\/([^/]+)\/(query|read_state)$/,
    shape: '/api/{v2,v3}/canister/<canister_id>/{query,read_state}',
    route: ([, version, canisterText, endpoint]) => ({ kind: endpoint as 'query' | 'read_state', version: version as ApiVersion, canisterText }),
  },
  {
    method: 'POST',
    pattern: /^\/api\/(v2|v3)\/subnet\/([^/]+)\/read_state$/,
    shape: '/api/{v2,v3}/subnet/<subnet_id>/read_state',
    route: ([, version, subnetText]) => ({ kind: 'subnet_read_state', version: version as ApiVersion, subnetText }),
  },
];

const ENDPOINT_LIST = ENDPOINTS.map(({ method, shape }) => `${method} ${shape}`).join(', ');

/**
 * @param method - the request's HTTP method
 * @param path - the request's path, without the query string
 * @returns the route the request takes, or why it takes none
 */
export function routeRequest(method: string | undefined, path: string): Route | RouteRefusal {
  for (const endpoint of ENDPOINTS) {
    const match = endpoint.pattern.exec(path);
    if (match === null) continue;
    if (method !== endpoint.method) {
      return { kind: 'refused', status: 405, allow: endpoint.method, message: `use ${endpoint.method} for ${path}, not ${method ?? 'no method'}` };
    }
    return endpoint.route(match);
  }
  return { kind: 'refused', status: 404, message: `no such endpoint: ${method ?? ''} ${path}; this replica serves ${ENDPOINT_LIST}` };
}
