// A raw `ws` echo server in its own process, the reference for the gateway bench's server CPU per
// round trip. Prints its URL as one JSON line; answers "cpu" on stdin with its CPU use so far.
const { WebSocketServer } = require('ws');
const { createInterface } = require('node:readline');

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
server.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
server.once('listening', () => {
  console.log(JSON.stringify({ url: `ws://127.0.0.1:${server.address().port}` }));
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'cpu') console.log(JSON.stringify({ cpu: process.cpuUsage() }));
  });
  process.stdin.on('end', () => server.close(() => process.exit(0)));
});
