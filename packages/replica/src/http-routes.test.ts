import { routeRequest } from './http-routes';

const ID = 'bkyz2-fmaaa-aaaaa-qaaaq-cai';

describe('routeRequest', () => {
  test.each([
    ['v2', 'async'],
    ['v3', 'sync'],
    ['v4', 'sync'],
  ])('routes a %s call as %s', (version, mode) => {
    expect(routeRequest('POST', `/api/${version}/canister/${ID}/call`)).toEqual({ kind: 'call', version, canisterText: ID, mode });
  });

  test.each([
    ['v2', 'query'],
    ['v3', 'query'],
    ['v2', 'read_state'],
    ['v3', 'read_state'],
  ])('routes a %s %s to its canister', (version, kind) => {
    expect(routeRequest('POST', `/api/${version}/canister/${ID}/${kind}`)).toEqual({ kind, version, canisterText: ID });
  });

  test.each(['v2', 'v3'])('routes a %s subnet read_state', (version) => {
    expect(routeRequest('POST', `/api/${version}/subnet/${ID}/read_state`)).toEqual({ kind: 'subnet_read_state', version, subnetText: ID });
  });

  test('routes GET /api/v2/status', () => {
    expect(routeRequest('GET', '/api/v2/status')).toEqual({ kind: 'status' });
  });

  test.each([
    ['GET', `/api/v3/canister/${ID}/call`, 'POST'],
    ['POST', '/api/v2/status', 'GET'],
    ['PUT', `/api/v2/subnet/${ID}/read_state`, 'POST'],
  ])('refuses %s %s with 405 and the method it takes', (method, path, allow) => {
    expect(routeRequest(method, path)).toMatchObject({ kind: 'refused', status: 405, allow, message: `use ${allow} for ${path}, not ${method}` });
  });

  test.each([
    `/api/v4/canister/${ID}/query`,
    `/api/v4/canister/${ID}/read_state`,
    `/api/v1/canister/${ID}/call`,
    `/api/v3/subnet/${ID}/query`,
    `/api/v3/canister/${ID}/call/extra`,
    '/',
  ])('refuses %s with 404 listing the endpoints served', (path) => {
    const refusal = routeRequest('POST', path);
    expect(refusal).toMatchObject({ kind: 'refused', status: 404 });
    const { message } = refusal as { message: string };
    expect(message).toContain(`no such endpoint: POST ${path}`);
    for (const endpoint of [
      'GET /api/v2/status',
      'POST /api/{v2,v3,v4}/canister/<canister_id>/call',
      'POST /api/{v2,v3}/canister/<canister_id>/{query,read_state}',
      'POST /api/{v2,v3}/subnet/<subnet_id>/read_state',
    ]) {
      expect(message).toContain(endpoint);
    }
  });
});
