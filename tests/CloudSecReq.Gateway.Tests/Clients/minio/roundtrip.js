// The MinIO JavaScript SDK (minio@8) against the gateway: makeBucket, putObject (a string and a
// buffer large enough for the SDK to go multipart), getObject, statObject, listObjectsV2,
// removeObject. Prints what it saw as JSON; any error exits non-zero.
//
// usage: node roundtrip.js BUCKET BIG_SOURCE_FILE BIG_DOWNLOAD_FILE
// env:   CSR_HOST, CSR_PORT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, NODE_EXTRA_CA_CERTS (the gateway's CA)
'use strict';
const fs = require('node:fs');
const Minio = require('minio');

const MIB = 1024 * 1024;

async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function list(client, bucket, prefix) {
  const names = [];
  for await (const item of client.listObjectsV2(bucket, prefix, true)) {
    names.push(item.name);
  }
  return names;
}

async function main() {
  const [bucket, bigSource, bigDownload] = process.argv.slice(2);
  const client = new Minio.Client({
    endPoint: process.env.CSR_HOST,
    port: Number(process.env.CSR_PORT),
    useSSL: true,
    accessKey: process.env.AWS_ACCESS_KEY_ID,
    secretKey: process.env.AWS_SECRET_ACCESS_KEY,
    region: 'us-east-1',
    pathStyle: true,
    partSize: 5 * MIB,
  });
  const result = {};
  await client.makeBucket(bucket, 'us-east-1');
  result.bucketExists = await client.bucketExists(bucket);

  const text = 'hello from the MinIO SDK ✓';
  result.putText = await client.putObject(bucket, 'js/hello.txt', text, undefined, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Amz-Meta-Colour': 'green' });
  result.getText = (await readAll(await client.getObject(bucket, 'js/hello.txt'))).toString('utf8');
  const textStat = await client.statObject(bucket, 'js/hello.txt');
  result.textStat = { size: textStat.size, etag: textStat.etag, metaData: textStat.metaData };

  const big = fs.readFileSync(bigSource);
  // A Buffer goes up in one part in minio@8 (its block splitter never cuts the single 12 MiB
  // chunk the buffer becomes), so the buffer is also streamed, which the SDK cuts into 5 MiB parts.
  result.putBuffer = await client.putObject(bucket, 'js/buffer.bin', big, big.length);
  result.bufferMatches = (await readAll(await client.getObject(bucket, 'js/buffer.bin'))).equals(big);
  result.putBig = await client.putObject(bucket, 'js/big.bin', fs.createReadStream(bigSource, { highWaterMark: 256 * 1024 }), big.length);
  fs.writeFileSync(bigDownload, await readAll(await client.getObject(bucket, 'js/big.bin')));
  const bigStat = await client.statObject(bucket, 'js/big.bin');
  result.bigStat = { size: bigStat.size, etag: bigStat.etag };
  const ranged = await readAll(await client.getPartialObject(bucket, 'js/big.bin', 10, 20));
  result.rangedMatches = ranged.equals(big.subarray(10, 30));

  result.listed = await list(client, bucket, 'js/');
  await client.removeObject(bucket, 'js/hello.txt');
  result.listedAfterRemove = await list(client, bucket, '');
  try {
    await client.statObject(bucket, 'js/hello.txt');
    result.statAfterRemove = 'found';
  } catch (e) {
    result.statAfterRemove = e.code;
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  if (e && e.code) console.error('code: ' + e.code);
  process.exit(1);
});
