/** The gateway holds a bounded number of connections, in all and per client address. */
import { ConnectionLimiter } from './connection-limits';

describe('ConnectionLimiter', () => {
  describe('#admit', () => {
    it('refuses the connection past the per-address limit with ICWS_ERR_IP_CONNECTION_LIMIT (429)', () => {
      const limiter = new ConnectionLimiter({ maxConnections: 100, maxConnectionsPerIp: 2 });
      expect(limiter.admit('10.0.0.1').admitted).toBe(true);
      expect(limiter.admit('10.0.0.1').admitted).toBe(true);
      const refused = limiter.admit('10.0.0.1');
      expect(refused).toMatchObject({ admitted: false, limit: 'per_ip', error: { code: 'ICWS_ERR_IP_CONNECTION_LIMIT', httpStatus: 429 } });
      if (!refused.admitted) expect(refused.error.message).toBe('10.0.0.1 holds its limit of 2 connections to this gateway; close some, or raise --max-connections-per-ip');
      expect(limiter.admit('10.0.0.2').admitted).toBe(true);
    });

    it('refuses the connection past the total with ICWS_ERR_CONNECTION_LIMIT (503)', () => {
      const limiter = new ConnectionLimiter({ maxConnections: 2, maxConnectionsPerIp: 2 });
      limiter.admit('10.0.0.1');
      limiter.admit('10.0.0.2');
      expect(limiter.admit('10.0.0.3')).toMatchObject({ admitted: false, limit: 'total', error: { code: 'ICWS_ERR_CONNECTION_LIMIT', httpStatus: 503 } });
    });

    it('lets a connection in again once one ends, counting each release once', () => {
      const limiter = new ConnectionLimiter({ maxConnections: 10, maxConnectionsPerIp: 1 });
      const first = limiter.admit('10.0.0.1');
      expect(limiter.admit('10.0.0.1').admitted).toBe(false);
      if (!first.admitted) throw new Error('refused');
      first.release();
      first.release();
      expect(limiter.total).toBe(0);
      expect(limiter.countOf('10.0.0.1')).toBe(0);
      expect(limiter.admit('10.0.0.1').admitted).toBe(true);
      expect(limiter.total).toBe(1);
    });
  });
});
