// The web editor in headless Chromium: two pages on two gateways of one tree and a zinc-pad in a
// terminal type at three places at once, and every burst lands whole and in order everywhere;
// then one gateway is killed under its page, which reconnects through the other, and nothing
// typed meanwhile is lost. Screenshots of the two pages go to $ZINC_SCREENSHOTS (docs/images
// when regenerating docs/web.md's pictures).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Browser, chromiumPath } from './chromium.mjs'
import { hasBinary, hasWebSocket, freePort, startNode, zinc, status, text, eventually, sleep } from './support.mjs'

const padBinary = process.env.ZINC_PAD_BINARY ?? fileURLToPath(new URL('../../../.build/debug/zinc-pad', import.meta.url))
const skip = !hasBinary ? 'no zinc binary (swift build --product zinc)'
  : !hasWebSocket ? 'no WebSocket (node --experimental-websocket)'
    : chromiumPath === null ? 'Chromium is not installed (scripts/install-deps installs it)'
      : !existsSync('/usr/bin/tmux') || !existsSync(padBinary) ? 'needs tmux and zinc-pad (scripts/test installs and builds both)' : false

const cleanups = []
after(() => { for (const cleanup of cleanups.reverse()) { try { cleanup() } catch {} } })

async function gatewayNode (name, join = null) {
  const port = await freePort(4)
  const args = ['--id', name, '--bind', `tcp://127.0.0.1:${port}`, '--admin', `tcp://127.0.0.1:${port + 2}`, '--websocket', `127.0.0.1:${port + 3}`]
  if (join) args.push('--join', join)
  const node = await startNode(args, { name })
  cleanups.push(() => node.kill('SIGKILL'))
  return { ...node, publish: `tcp://127.0.0.1:${port}`, admin: `tcp://127.0.0.1:${port + 2}`, http: `http://127.0.0.1:${port + 3}`, ws: `ws://127.0.0.1:${port + 3}/zinc` }
}

/** A zinc-pad in a tmux terminal, typed into like a person at a keyboard. */
async function startPad (joinAddress) {
  const socket = `zinc-web-${process.pid}`
  const home = mkdtempSync(join(tmpdir(), 'zinc-pad-'))
  const port = await freePort(3)
  const admin = `tcp://127.0.0.1:${port + 2}`
  const command = `HOME=${home} ${padBinary} --join ${joinAddress} --bind tcp://127.0.0.1:${port} --name Pad --no-persist --admin ${admin} notes`
  const tmux = (...args) => execFileSync('/usr/bin/tmux', ['-L', socket, ...args], { encoding: 'utf8' })
  tmux('new-session', '-d', '-s', 'pad', '-x', '100', '-y', '16', command)
  cleanups.push(() => tmux('kill-server'))
  return {
    admin,
    type: async (text) => { for (const character of text) { tmux('send-keys', '-t', 'pad', '-l', character); await sleep(15) } },
    screen: () => tmux('capture-pane', '-p', '-t', 'pad')
  }
}

const caretAfter = anchor => `(() => {
  const area = document.getElementById('text')
  area.focus()
  const at = area.value.indexOf(${JSON.stringify(anchor)}) + ${anchor.length}
  area.setSelectionRange(at, at)
  document.dispatchEvent(new Event('selectionchange'))
  return at
})()`

test('two pages and a zinc-pad type at once: every burst whole and in order everywhere; a page whose gateway dies reconnects through the other and loses nothing', { skip, timeout: 120_000 }, async () => {
  const root = await gatewayNode('web-root')
  const second = await gatewayNode('web-second', root.publish)
  await eventually('the second gateway joins', async () => (await status(second.admin)).link.startsWith('joined'))
  await zinc('edit', root.admin, 'notes', 'insert', '0', 'Meeting notes\n\nAda: \nBob: \n')
  const pad = await startPad(root.publish)
  await eventually('the pad holds the notes', async () => (await text(pad.admin, 'notes')).includes('Bob: '), 20_000)

  const browser = await Browser.launch()
  cleanups.push(() => browser.close())
  const pageURL = (base, name, gateways) => `${base}/?doc=notes&name=${name}&gateways=${gateways.join(',')}`
  const ada = await browser.open(pageURL(root.http, 'Ada', [root.ws, second.ws]))
  const bob = await browser.open(pageURL(second.http, 'Bob', [second.ws, root.ws]))
  for (const page of [ada, bob]) {
    await eventually('the page shows the notes', () => page.evaluate(`window.zinc !== undefined && document.getElementById('text').value.includes('Bob: ')`), 20_000)
  }
  await ada.evaluate(caretAfter('Ada: '))
  await bob.evaluate(caretAfter('Bob: '))
  // All three at once, at three places (the pad's caret is at the start).
  await Promise.all([ada.type('alpha beta gamma delta'), bob.type('one two three four'), pad.type('Pad was here. ')])
  const expected = 'Pad was here. Meeting notes\n\nAda: alpha beta gamma delta\nBob: one two three four\n'
  const everywhere = async (want) => {
    const seen = {
      ada: await ada.evaluate(`document.getElementById('text').value`), adaDoc: await ada.evaluate('window.zinc.doc.text()'),
      bob: await bob.evaluate(`document.getElementById('text').value`), bobDoc: await bob.evaluate('window.zinc.doc.text()'),
      root: await text(root.admin, 'notes'), pad: await text(pad.admin, 'notes')
    }
    return Object.values(seen).every(value => value === want) || JSON.stringify(seen)
  }
  await eventually('every burst whole, in order, in every replica and on both pages', async () => (await everywhere(expected)) === true)
  await eventually('each page shows the other’s cursor and name', async () =>
    (await ada.evaluate(`document.getElementById('mirror').textContent.includes('Bob')`)) && (await bob.evaluate(`document.getElementById('mirror').textContent.includes('Ada')`)))
  const directory = process.env.ZINC_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'zinc-screens-'))
  mkdirSync(directory, { recursive: true })
  writeFileSync(join(directory, 'web-ada.png'), await ada.screenshot())
  writeFileSync(join(directory, 'web-bob.png'), await bob.screenshot())

  // Bob's gateway dies: the page keeps what he types and reconnects through the root.
  second.kill('SIGKILL')
  await bob.type(' five six')
  await eventually('Bob’s page back through the root', async () => (await bob.evaluate('window.zinc.client.state + " " + window.zinc.client.url')) === `joined ${root.ws}`, 30_000)
  await bob.type(' seven')
  const afterFailover = expected.replace('four', 'four five six seven')
  await eventually('nothing typed during the failover is lost', async () => (await everywhere(afterFailover)) === true, 20_000)
  assert.deepEqual([...ada.errors, ...bob.errors], [], 'no script errors on the pages')
  ada.close()
  bob.close()
})
