// Browsers through a gateway: how long a keystroke takes from one JavaScript client to another
// (the same code a page runs, in Node), and how long a new client takes to load a large
// document (a snapshot transfer). One `zinc node --websocket` (release), loopback.
//
//   node --experimental-websocket benchmarks/web_latency.mjs [ZINC_BINARY] [KEYSTROKES]
//
// Prints one JSON object (benchmarks/results/web-latency.json).
import { connect } from '../Clients/js/zinc.mjs'
import { startNode, freePort, zinc } from '../Clients/js/test/support.mjs'

const binary = process.argv[2] ?? '.build/release/zinc'
const keystrokes = Number(process.argv[3] ?? 2000)
process.env.ZINC_BINARY = binary
const port = await freePort(4)
const node = await startNode(['--id', 'web-bench', '--bind', `tcp://127.0.0.1:${port}`, '--admin', `tcp://127.0.0.1:${port + 2}`, '--websocket', `127.0.0.1:${port + 3}`])
const url = `ws://127.0.0.1:${port + 3}/zinc`
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

try {
  // Keystroke latency: A types one character, B's onChange sees it; then the next.
  const a = await connect(url)
  const b = await connect(url)
  const docA = await a.document('latency')
  const docB = await b.document('latency')
  const samples = []
  for (let index = 0; index < keystrokes; index++) {
    const seen = new Promise(resolve => { const stop = docB.onChange(() => { stop(); resolve() }) })
    const start = process.hrtime.bigint()
    docA.insert(docA.length, String.fromCharCode(97 + index % 26))
    await seen
    samples.push(Number(process.hrtime.bigint() - start) / 1000)
  }
  samples.sort((x, y) => x - y)
  if (docB.text() !== docA.text()) throw new Error('the two clients differ')
  a.close()
  b.close()

  // Loading: a document of about 1 MB of UTF-8, made at the node, opened by a new client.
  const admin = `tcp://127.0.0.1:${port + 2}`
  for (let round = 0; round < 40; round++) await zinc('edit', admin, 'large', 'insert', '0', 'é'.repeat(6_000) + 'abcdefghij'.repeat(600))
  const loads = []
  let length = 0
  for (let round = 0; round < 5; round++) {
    const start = process.hrtime.bigint()
    const client = await connect(url)
    const doc = await client.document('large', { timeout: 30_000 })
    loads.push(Number(process.hrtime.bigint() - start) / 1e6)
    length = doc.length
    if (doc.entry.transfersCompleted.snapshot !== 1) throw new Error('not loaded by snapshot')
    client.close()
  }
  loads.sort((x, y) => x - y)
  console.log(JSON.stringify({
    what: 'JavaScript clients (Node, the page\'s code) through one zinc node --websocket (release), loopback',
    keystrokes,
    keystrokeMicroseconds: { p50: Math.round(percentile(samples, 0.5)), p90: Math.round(percentile(samples, 0.9)), p99: Math.round(percentile(samples, 0.99)) },
    largeDocumentScalars: length,
    largeDocumentUTF8Bytes: new TextEncoder().encode('é'.repeat(6_000) + 'abcdefghij'.repeat(600)).length * 40,
    newClientLoadMilliseconds: { median: Math.round(percentile(loads, 0.5)), min: Math.round(loads[0]), max: Math.round(loads[loads.length - 1]) }
  }, null, 1))
} finally {
  node.kill('SIGKILL')
}
