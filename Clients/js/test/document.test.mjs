// Fragments, snapshots and the text CRDT of the JavaScript client: the committed vectors
// (docs/vectors/fragments.json, snapshot.json) decoded to their meaning and re-encoded byte for
// byte, hostile input refused with WireError, and the CRDT laws under random concurrent editing
// and random delivery (every failure prints the seed that replays it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WireError } from '../wire.mjs'
import { decodeFragment, encodeFragment, containerKey } from '../fragment.mjs'
import { decodeSnapshot } from '../snapshot.mjs'
import { TextDocument, versionDigest } from '../document.mjs'

const vectors = name => JSON.parse(readFileSync(fileURLToPath(new URL(`../../../docs/vectors/${name}`, import.meta.url)), 'utf8')).vectors
const bytes = hex => Uint8Array.from(hex.match(/../g) ?? [], pair => parseInt(pair, 16))

/** A value as the vectors show it: its JSON text as the key, the plain value inside. */
function valueMeaning (value) {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return { [String(value)]: value }
  if (typeof value === 'bigint') return { [String(value)]: String(value) }
  if (typeof value === 'string') return { [JSON.stringify(value)]: value }
  throw new Error(`no meaning convention for ${typeof value} in the vectors yet`)
}

const ref = value => value === null ? null : { counter: String(value.counter), replica: String(value.replica) }
const refs = list => list.map(ref)
const elementMeaning = element => 'value' in element ? { value: valueMeaning(element.value) } : { container: element.container }

function bodyMeaning (body) {
  switch (body.kind) {
    case 'insert': return {
      insert: {
        content: { elements: body.text !== undefined ? { text: body.text } : { list: body.list.map(elementMeaning) }, pieces: body.pieces.map(piece => ({ count: String(piece.count), isDeleted: piece.deleted })) },
        left: ref(body.left), right: ref(body.right)
      }
    }
    case 'delete': return { delete: body.spans.map(span => ({ descending: span.descending, length: String(span.length), start: ref(span.start) })) }
    case 'mapSet': return { mapSet: { key: body.key, value: 'value' in body.value ? { value: valueMeaning(body.value.value) } : 'container' in body.value ? { container: body.value.container } : 'deleted' } }
    case 'registerSet': return { registerSet: { supersedes: refs(body.supersedes), value: valueMeaning(body.value) } }
    case 'counterAdd': return { counterAdd: String(body.delta) }
    case 'setAdd': return { setAdd: valueMeaning(body.value) }
    case 'setRemove': return { setRemove: [valueMeaning(body.value), refs(body.observed)] }
  }
}

const fragmentMeaning = fragment => ({
  containers: fragment.containers.map(containerKey),
  ops: fragment.ops.map(op => ({ body: bodyMeaning(op.body), container: String(op.container), counter: String(op.counter), lamport: String(op.lamport), replica: String(op.replica) })),
  replicas: fragment.replicas
})

test('every fragment of fragments.json decodes to its meaning and re-encodes byte for byte', () => {
  const all = vectors('fragments.json')
  assert.ok(all.length >= 8)
  for (const vector of all) {
    const fragment = decodeFragment(bytes(vector.frames[0]))
    assert.deepEqual(fragmentMeaning(fragment), vector.meaning, vector.name)
    assert.equal(Buffer.from(encodeFragment(fragment)).toString('hex'), vector.frames[0], `${vector.name}: re-encoding`)
  }
})

test('the delta of messages.json applies with its envelope origin as the implied author', () => {
  const delta = vectors('messages.json').find(vector => vector.name === 'delta')
  const author = delta.meaning.header.origin
  const document = new TextDocument()
  const changes = document.applyFragment(bytes(delta.frames[2]), author)
  assert.ok(changes.length > 0)
  assert.equal(document.held(author) > 0, true)
})

test('snapshot.json loads: the text, the version vector and the Lamport clock the vector gives', async () => {
  const [vector] = vectors('snapshot.json')
  const document = new TextDocument()
  document.loadSnapshot(await decodeSnapshot(bytes(vector.frames[0])))
  assert.equal(document.text(), 'hello!')
  assert.deepEqual(Object.fromEntries(Object.entries(document.versionVector).map(([replica, count]) => [replica, String(count)])), vector.meaning.versionVector)
  assert.equal(String(document.clock), vector.meaning.lamport)
})

test('hostile input: every truncation and every single-byte change of the fragment and snapshot vectors either decodes or throws WireError, never anything else', async () => {
  for (const vector of vectors('fragments.json')) {
    const original = bytes(vector.frames[0])
    for (let cut = 0; cut < original.length; cut++) assert.throws(() => decodeFragment(original.subarray(0, cut)), WireError, `${vector.name} cut at ${cut}`)
    for (let index = 0; index < original.length; index++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const changed = Uint8Array.from(original)
        changed[index] ^= flip
        try { decodeFragment(changed) } catch (error) { assert.ok(error instanceof WireError, `${vector.name} byte ${index} ^ ${flip}: ${error}`) }
      }
    }
  }
  const snapshot = bytes(vectors('snapshot.json')[0].frames[0])
  for (let cut = 0; cut < snapshot.length; cut++) await assert.rejects(decodeSnapshot(snapshot.subarray(0, cut)), WireError, `snapshot cut at ${cut}`)
  for (let index = 0; index < snapshot.length; index++) {
    const changed = Uint8Array.from(snapshot)
    changed[index] ^= 0x41
    try { await decodeSnapshot(changed) } catch (error) { assert.ok(error instanceof WireError, `snapshot byte ${index}: ${error}`) }
  }
})

test('the digest is the spec’s: order-independent, and zero for nothing held', () => {
  const a = '00112233-4455-6677-8899-aabbccddeeff'
  const b = 'dc605e13-3c38-846e-b267-e479e17e98c9'
  assert.equal(versionDigest([]), 0n)
  assert.equal(versionDigest([[a, 5], [b, 2]]), versionDigest([[b, 2], [a, 5]]))
  assert.notEqual(versionDigest([[a, 5]]), versionDigest([[a, 6]]))
})

// MARK: - CRDT laws under random concurrency

/** A small seeded generator (mulberry32), so every failure replays from its seed. */
function random (seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = ['a', 'b', 'c', 'é', '€', '𝄞', ' ', '\n']

function randomEdit (document, next) {
  const length = document.length()
  if (length > 0 && next() < 0.35) {
    const position = Math.floor(next() * length)
    document.delete(position, 1 + Math.floor(next() * Math.min(4, length - position)))
  } else {
    const text = Array.from({ length: 1 + Math.floor(next() * 4) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('')
    document.insert(Math.floor(next() * (length + 1)), text)
  }
}

/** Applies each change to a plain array, as an editor would, and checks it gives the text. */
function replay (lines, changes) {
  for (const change of changes) {
    if (change.inserted !== undefined) lines.splice(change.position, 0, ...Array.from(change.inserted))
    else lines.splice(change.position, change.deleted)
  }
  return lines
}

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]) {
  test(`seed ${seed}: three replicas editing concurrently, fragments delivered late, duplicated and out of order, converge, and every change event describes the edit`, () => {
    const next = random(seed)
    const replicas = [new TextDocument(), new TextDocument(), new TextDocument()]
    const inbox = replicas.map(() => [])
    const mirrors = replicas.map(() => [])
    for (let round = 0; round < 60; round++) {
      const author = Math.floor(next() * replicas.length)
      randomEdit(replicas[author], next)
      mirrors[author] = Array.from(replicas[author].text())
      const fragment = replicas[author].takeLocalFragment()
      replicas.forEach((_, index) => { if (index !== author) inbox[index].push({ fragment, author: replicas[author].replica }) })
      // Deliver a random part of each inbox, in random order, sometimes twice.
      replicas.forEach((document, index) => {
        const keep = []
        for (const message of inbox[index].sort(() => next() - 0.5)) {
          if (next() < 0.5) { keep.push(message); continue }
          replay(mirrors[index], document.applyFragment(message.fragment, message.author))
          if (next() < 0.2) replay(mirrors[index], document.applyFragment(message.fragment, message.author))
          assert.equal(mirrors[index].join(''), document.text(), `seed ${seed}: change events of replica ${index}`)
        }
        inbox[index] = keep
      })
    }
    replicas.forEach((document, index) => {
      for (const message of inbox[index]) replay(mirrors[index], document.applyFragment(message.fragment, message.author))
      assert.equal(document.pending.length, 0, `seed ${seed}: nothing left waiting`)
      assert.equal(mirrors[index].join(''), document.text())
    })
    const texts = replicas.map(document => document.text())
    assert.equal(texts[1], texts[0], `seed ${seed}`)
    assert.equal(texts[2], texts[0], `seed ${seed}`)
    assert.equal(replicas[1].digest, replicas[0].digest)
    assert.equal(replicas[2].digest, replicas[0].digest)
  })
}

test('fragmentSince gives a late replica exactly what it lacks, and applying it twice changes nothing', () => {
  const next = random(99)
  const a = new TextDocument()
  const b = new TextDocument()
  for (let round = 0; round < 40; round++) {
    randomEdit(round % 2 === 0 ? a : b, next)
    const source = round % 2 === 0 ? a : b
    const target = round % 2 === 0 ? b : a
    target.applyFragment(source.takeLocalFragment(), source.replica)
  }
  const late = new TextDocument()
  const all = a.fragmentSince({})
  late.applyFragment(all)
  assert.equal(late.text(), a.text())
  assert.deepEqual(late.applyFragment(all), [])
  assert.equal(a.fragmentSince(a.versionVector), null)
  randomEdit(a, next)
  a.takeLocalFragment()
  late.applyFragment(a.fragmentSince(late.versionVector))
  assert.equal(late.text(), a.text())
})

test('concurrent typing at one place never interleaves, forwards or backwards', () => {
  const base = new TextDocument()
  base.insert(0, '[]')
  const seed = base.takeLocalFragment()
  const alice = new TextDocument()
  const bob = new TextDocument()
  alice.applyFragment(seed, base.replica)
  bob.applyFragment(seed, base.replica)
  for (const character of 'alice') alice.insert(alice.length() - 1, character)
  for (const character of 'BOB') bob.insert(1, character)
  const fromAlice = alice.takeLocalFragment()
  const fromBob = bob.takeLocalFragment()
  alice.applyFragment(fromBob, bob.replica)
  bob.applyFragment(fromAlice, alice.replica)
  assert.equal(alice.text(), bob.text())
  assert.ok(['[aliceBOB]', '[BOBalice]'].includes(alice.text()), alice.text())
})

test('concurrency.json (made by the Swift implementation): its deltas in the order made, in reverse and in random orders converge to the Swift text, and its snapshot (zlib blocks) loads to the same', async () => {
  const all = vectors('concurrency.json')
  const deltas = all.filter(vector => vector.name.startsWith('delta-'))
  const expected = deltas[0].meaning.text
  assert.ok(deltas.length >= 200 && expected.length > 100)
  const orders = [deltas, [...deltas].reverse()]
  for (const seed of [1, 2, 3, 4, 5]) {
    const next = random(seed)
    orders.push([...deltas].sort(() => next() - 0.5))
  }
  for (const [index, order] of orders.entries()) {
    const document = new TextDocument()
    const mirror = []
    for (const delta of order) replay(mirror, document.applyFragment(bytes(delta.frames[0]), delta.meaning.author))
    assert.equal(document.text(), expected, `order ${index}`)
    assert.equal(mirror.join(''), expected, `order ${index}: change events`)
    assert.equal(document.pending.length, 0)
  }
  const snapshot = all.find(vector => vector.name === 'snapshot')
  const loaded = new TextDocument()
  loaded.loadSnapshot(await decodeSnapshot(bytes(snapshot.frames[0])))
  assert.equal(loaded.text(), expected)
  assert.deepEqual(Object.fromEntries(Object.entries(loaded.versionVector).map(([replica, count]) => [replica, String(count)])), snapshot.meaning.versionVector)
  // A replica that held part of the history before the snapshot arrived keeps its own edit.
  const partial = new TextDocument()
  for (const delta of deltas.slice(0, 50)) partial.applyFragment(bytes(delta.frames[0]), delta.meaning.author)
  partial.insert(0, 'mine:')
  partial.loadSnapshot(await decodeSnapshot(bytes(snapshot.frames[0])))
  assert.equal(partial.text().replace('mine:', ''), expected)
  assert.ok(partial.text().includes('mine:'))
})

test('a paste of a million characters, and its delete, go through one replica to another', () => {
  const a = new TextDocument()
  const b = new TextDocument()
  a.insert(0, 'ab')
  const big = 'x'.repeat(1_000_000)
  a.insert(1, big)
  b.applyFragment(a.takeLocalFragment(), a.replica)
  assert.equal(b.length(), 1_000_002)
  assert.equal(b.text(), 'a' + big + 'b')
  a.delete(1, 999_999)
  const changes = b.applyFragment(a.takeLocalFragment(), a.replica)
  assert.equal(b.text(), 'axb')
  assert.deepEqual(changes, [{ container: changes[0].container, position: 1, deleted: 999_999 }])
})
