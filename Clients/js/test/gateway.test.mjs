// The JavaScript client against real `zinc node` processes with WebSocket gateways: browsers
// in the tree like any child, interop both ways with a Swift leaf, concurrent bursts that land
// whole, a gateway killed under its clients with nothing lost, and hostile frames refused.
// Run with Node's WebSocket: node --experimental-websocket --test Clients/js/test/
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from '../zinc.mjs'
import { writeGatewayFrame } from '../wire.mjs'
import { hasBinary, hasWebSocket, freePort, startNode, zinc, status, text, eventually, sleep } from './support.mjs'

const skip = !hasBinary ? 'no zinc binary (build it: swift build --product zinc)' : !hasWebSocket ? 'no WebSocket (run node with --experimental-websocket)' : false
const nodes = []
after(() => { for (const node of nodes) node.kill('SIGKILL') })

/** Starts a node hosting on free ports with a gateway and an admin port. */
async function gatewayNode (name, { join = null, websocket = true } = {}) {
  const port = await freePort(4)
  const args = ['--id', name, '--bind', `tcp://127.0.0.1:${port}`, '--admin', `tcp://127.0.0.1:${port + 2}`]
  if (websocket) args.push('--websocket', `127.0.0.1:${port + 3}`)
  if (join) args.push('--join', join)
  const node = await startNode(args, { name })
  nodes.push(node)
  return { ...node, publish: `tcp://127.0.0.1:${port}`, admin: `tcp://127.0.0.1:${port + 2}`, url: `ws://127.0.0.1:${port + 3}/zinc` }
}

/** Types `word` one character at a time at the end of what this client typed before. */
async function burst (doc, anchorText, word) {
  for (const character of word) {
    const at = doc.text().indexOf(anchorText)
    assert.ok(at >= 0, `the anchor ${anchorText} is in the text`)
    const position = Array.from(doc.text().slice(0, at)).length + Array.from(anchorText).length
    doc.insert(position, character)
    anchorText += character
    await sleep(2)
  }
  return anchorText
}

test('two browsers and a Swift leaf edit one document concurrently: each burst lands whole and in order everywhere, edits cross both ways', { skip }, async () => {
  const root = await gatewayNode('web-root')
  const leaf = await gatewayNode('web-leaf', { join: root.publish, websocket: false })
  await eventually('the leaf joins', async () => (await status(leaf.admin)).link.startsWith('joined'))
  const ada = await connect(root.url, { name: 'Ada' })
  const bob = await connect(root.url, { name: 'Bob' })
  const adaDoc = await ada.document('notes')
  const bobDoc = await bob.document('notes')
  // Interop: an edit made with `zinc edit` at the Swift leaf reaches the browsers…
  // (The leaf types through the CLI, by position: its part comes first, so the browsers'
  // concurrent typing, all after it, never shifts the position it read.)
  await zinc('edit', leaf.admin, 'notes', 'insert', '0', '[leaf][ada][bob]')
  await eventually('the leaf’s edit at both browsers', () => adaDoc.text() === '[leaf][ada][bob]' && bobDoc.text() === '[leaf][ada][bob]')
  // …and a browser's edit reaches the leaf.
  adaDoc.insert(0, '>')
  await eventually('the browser’s edit at the leaf', async () => (await text(leaf.admin, 'notes')) === '>[leaf][ada][bob]')
  // All three at once, at three places: every burst stays contiguous and in order.
  const words = { ada: 'alpha beta gamma', bob: 'one two three', leaf: 'x1 y2 z3' }
  const leafTyping = (async () => {
    let typed = '[leaf]'
    for (const character of words.leaf) {
      let read = ''
      const current = await eventually(`${JSON.stringify(typed)} in the leaf’s text`, async () => { read = await text(leaf.admin, 'notes'); return read.includes(typed) && read }).catch(error => { throw new Error(`${error.message}: ${JSON.stringify(read)}`) })
      const position = Array.from(current.slice(0, current.indexOf(typed))).length + Array.from(typed).length
      await zinc('edit', leaf.admin, 'notes', 'insert', String(position), character)
      typed += character
    }
  })()
  await Promise.all([burst(adaDoc, '[ada]', words.ada), burst(bobDoc, '[bob]', words.bob), leafTyping])
  const expected = '>[leaf]x1 y2 z3[ada]alpha beta gamma[bob]one two three'
  await eventually('every replica holds every burst whole', async () =>
    adaDoc.text() === expected && bobDoc.text() === expected && (await text(leaf.admin, 'notes')) === expected && (await text(root.admin, 'notes')) === expected)
  const rootStatus = await status(root.admin)
  assert.equal(rootStatus.browsers.length, 2, 'both browsers are children of their gateway')
  assert.ok(rootStatus.children.includes(rootStatus.browsers[0]))
  ada.close()
  bob.close()
  await eventually('the gateway lets closed browsers go', async () => (await status(root.admin)).browsers.length === 0)
})

test('a gateway killed under its browsers: they reconnect through their second gateway, and what they typed meanwhile reaches everyone', { skip }, async () => {
  const root = await gatewayNode('fail-root')
  const second = await gatewayNode('fail-second', { join: root.publish })
  await eventually('the second gateway joins', async () => (await status(second.admin)).link.startsWith('joined'))
  const client = await connect([second.url, root.url], { name: 'Cy' })
  const doc = await client.document('notes')
  doc.insert(0, 'before;')
  await eventually('the edit at the root', async () => (await text(root.admin, 'notes')) === 'before;')
  second.kill('SIGKILL')
  doc.insert(doc.length, 'during;')
  await eventually('the client back through the root', async () => client.state === 'joined' && client.url === root.url, 20_000)
  doc.insert(doc.length, 'after;')
  await eventually('nothing lost', async () => (await text(root.admin, 'notes')) === 'before;during;after;')
  assert.equal(doc.text(), 'before;during;after;')
  client.close()
})

test('a document over 256 KiB reaches a new browser as a snapshot transfer, and the browser keeps syncing after it', { skip }, async () => {
  const root = await gatewayNode('big-root')
  const alphabet = 'abcdefghij é😀€中'
  let expected = ''
  for (let round = 0; round < 20; round++) {
    let piece = ''
    for (let index = 0; index < 10_000; index++) piece += Array.from(alphabet)[(index * 7 + round) % Array.from(alphabet).length]
    await zinc('edit', root.admin, 'big', 'insert', '0', piece)
    expected = piece + expected
  }
  await zinc('edit', root.admin, 'big', 'delete', '10', '5000')
  expected = Array.from(expected).slice(0, 10).join('') + Array.from(expected).slice(5010).join('')
  assert.ok(new TextEncoder().encode(expected).length > 256 * 1024)
  const client = await connect(root.url)
  const doc = await client.document('big', { timeout: 30_000 })
  assert.equal(doc.text(), expected)
  assert.equal(doc.entry.transfersCompleted.snapshot, 1, 'it came as a snapshot')
  doc.insert(0, '¡')
  await eventually('the browser’s edit at the root', async () => (await text(root.admin, 'big')).startsWith('¡'))
  await zinc('edit', root.admin, 'big', 'insert', '3', '!')
  const scalars = Array.from(expected)
  const want = '¡' + scalars.slice(0, 2).join('') + '!' + scalars.slice(2).join('')
  await eventually('the root’s edit at the browser', async () => doc.text() === want && (await text(root.admin, 'big')) === want)
  client.close()
})

test('hostile frames: garbage, text frames, forbidden subscriptions and messages sent as another node are refused and counted, and the gateway keeps serving', { skip }, async () => {
  const root = await gatewayNode('hostile-root')
  const socket = new WebSocket(root.url)
  socket.binaryType = 'arraybuffer'
  await new Promise((resolve, reject) => { socket.onopen = resolve; socket.onerror = reject })
  socket.send(Uint8Array.of(9, 9, 9))                                  // unknown kind
  socket.send('a text frame')
  socket.send(writeGatewayFrame({ subscribe: new Uint8Array(0) }))     // everything: refused
  socket.send(writeGatewayFrame({ subscribe: Uint8Array.of(0x4e) }))   // every node's directed messages
  socket.send(writeGatewayFrame({ frames: [Uint8Array.of(0x54), new Uint8Array(56), new Uint8Array(0)] }))  // before any node subscription
  socket.send(Uint8Array.of(0, 3, 0xff, 0xff, 0xff))                   // truncated frames
  await eventually('five refusals or more counted', async () => (await status(root.admin)).counters.gatewayRefused >= 5)
  socket.close()
  // Still serving: a real client joins and edits.
  const client = await connect(root.url)
  const doc = await client.document('ok')
  doc.insert(0, 'still here')
  await eventually('the edit at the root', async () => (await text(root.admin, 'ok')) === 'still here')
  client.close()
})

test('a gateway on a non-loopback address needs --websocket-public', { skip: !hasBinary && 'no zinc binary' }, async () => {
  const port = await freePort(2)
  await assert.rejects(startNode(['--id', 'public', '--bind', `tcp://127.0.0.1:${port}`, '--websocket', `0.0.0.0:${port + 1}`]), /--websocket-public/)
})
