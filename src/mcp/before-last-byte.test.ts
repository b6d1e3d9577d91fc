import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { beforeLastByte } from './before-last-byte.ts';

test('runs once, before the response ends, and the body still arrives whole', async () => {
  const seen: { ended: boolean; headersSent: boolean }[] = [];
  const server = createServer((_req, res) => {
    beforeLastByte(res, () =>
      seen.push({ ended: res.writableEnded, headersSent: res.headersSent }),
    );
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first ');
    res.end('last');
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await response.text(), 'first last');
    assert.deepEqual(seen, [{ ended: false, headersSent: true }]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
