import { decodeEnvelope as decodeStrictly, ProtocolError, type Envelope } from '@icws/protocol';
import { REPLICA_ERROR_CODES, type ReplicaErrorCode } from '../errors';
import { EnvelopeError } from './envelope-error';
import { MAX_ENVELOPE_BYTES } from './limits';

/**
 * Decodes a request body with the strict decoder of `@icws/protocol`, after refusing bodies too
 * large to read at all.
 *
 * @throws EnvelopeError 413 `ICWS_ERR_TOO_LARGE`; 400 with the decoder's code and message
 *   (`ICWS_ERR_BAD_CBOR`, `ICWS_ERR_MALFORMED_ENVELOPE`, `ICWS_ERR_DELEGATION_CHAIN_TOO_LONG`,
 *   `ICWS_ERR_DELEGATION_TARGETS`, `ICWS_ERR_READ_STATE_TOO_LARGE`)
 */
export function decodeEnvelope(body: Uint8Array): Envelope {
  if (body.length > MAX_ENVELOPE_BYTES) {
    throw new EnvelopeError(413, 'ICWS_ERR_TOO_LARGE', `request body of ${body.length} bytes exceeds the limit of ${MAX_ENVELOPE_BYTES} bytes`);
  }
  try {
    return decodeStrictly(body);
  } catch (err) {
    if (err instanceof ProtocolError) {
      const code: ReplicaErrorCode = err.code in REPLICA_ERROR_CODES ? (err.code as ReplicaErrorCode) : 'ICWS_ERR_MALFORMED_ENVELOPE';
      throw new EnvelopeError(400, code, err.message);
    }
    throw err;
  }
}
