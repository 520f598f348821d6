// The committed test vectors (docs/vectors) against the JavaScript codec: every message's
// topic and header, every control payload and discovery datagram decoded to the meaning the
// vector gives and re-encoded to the same bytes. Run: node --test Clients/js/test/
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readMessage, writeMessage, unpackFrame, packFrames, readBeacon, writeBeacon, readDatagram, writeDatagram, readTopic, readGatewayFrame, writeGatewayFrame, Reader, WireError } from '../wire.mjs'
import '../presence.mjs'

const vectors = name => JSON.parse(readFileSync(fileURLToPath(new URL(`../../../docs/vectors/${name}`, import.meta.url)), 'utf8')).vectors
const bytes = hex => Uint8Array.from(hex.match(/../g) ?? [], pair => parseInt(pair, 16))
const hex = array => Array.from(array, byte => byte.toString(16).padStart(2, '0')).join('')

/** The vectors' meaning convention (docs/vectors/README.md): numbers as decimal strings. */
function meaning (value) {
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') return value.toString()
  if (Array.isArray(value)) return value.map(meaning)
  if (value instanceof Uint8Array) return hex(value)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, meaning(inner)]))
  return value
}

test('every message of messages.json: topic and header as the vector says, known payloads decoded to their meaning, all re-encoded byte for byte', () => {
  let decoded = 0
  for (const vector of vectors('messages.json')) {
    const frames = vector.frames.map(bytes)
    if (frames.length === 1 && frames[0][0] !== 0x57) {
      // A packed frame: each message as the three-frame ones.
      const unpacked = unpackFrame(frames[0])
      const messages = unpacked.map(readMessage)
      assert.equal(messages.length, vector.meaning.packed.length, vector.name)
      messages.forEach((message, index) => {
        assert.equal(hex(unpacked[index][0]), vector.meaning.packed[index].topic, `${vector.name} ${index}: topic`)
        assert.deepEqual(meaning(message.header), vector.meaning.packed[index].header, `${vector.name} ${index}: header`)
        if (message.decoded) assert.deepEqual(meaning(message.payload), vector.meaning.packed[index].payload, `${vector.name} ${index}: payload`)
      })
      assert.equal(hex(packFrames(messages.map(writeMessage))), vector.frames[0], `${vector.name}: re-encoding`)
      continue
    }
    if (frames.length === 1) {
      const beacon = readBeacon(frames[0])
      assert.deepEqual(meaning(beacon), vector.meaning.beacon, vector.name)
      assert.equal(hex(writeBeacon(beacon)), vector.frames[0], `${vector.name}: re-encoding`)
      continue
    }
    const message = readMessage(frames)
    assert.equal(hex(frames[0]), vector.meaning.topic, `${vector.name}: topic`)
    assert.deepEqual(meaning(message.header), vector.meaning.header, `${vector.name}: header`)
    if (message.decoded) {
      decoded += 1
      assert.deepEqual(meaning(message.payload), vector.meaning.payload, `${vector.name}: payload`)
    }
    assert.deepEqual(writeMessage(message).map(hex), vector.frames, `${vector.name}: re-encoding`)
  }
  assert.ok(decoded >= 15, `${decoded} payloads decoded`)
})

test('every discovery datagram of discovery.json decodes to its meaning and re-encodes byte for byte', () => {
  for (const vector of vectors('discovery.json')) {
    const datagram = readDatagram(bytes(vector.frames[0]))
    assert.deepEqual(meaning(datagram), vector.meaning, vector.name)
    assert.equal(hex(writeDatagram(datagram)), vector.frames[0], `${vector.name}: re-encoding`)
  }
})

test('hostile input: overlong and oversized varints, a topic without its terminator, and every truncation of every vector throw WireError, never anything else', () => {
  assert.throws(() => new Reader(Uint8Array.of(0x80, 0x00)).varint(), WireError)
  assert.throws(() => new Reader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02)).varint(), WireError)
  assert.equal(new Reader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)).varint(), (1n << 64n) - 1n)
  assert.throws(() => readTopic(Uint8Array.of(0x44, 0x61)), WireError, 'a document topic without its terminator')
  for (const vector of [...vectors('messages.json'), ...vectors('discovery.json')]) {
    const frames = vector.frames.map(bytes)
    const last = frames.length - 1
    for (let cut = 0; cut < frames[last].length; cut++) {
      const truncated = frames.map((frame, index) => index === last ? frame.subarray(0, cut) : frame)
      for (const attempt of [() => readDatagram(truncated[0]), () => readMessage(truncated), () => readBeacon(truncated[0]), () => unpackFrame(truncated[0])]) {
        try { attempt() } catch (error) { assert.ok(error instanceof WireError, `${vector.name} cut at ${cut}: ${error}`) }
      }
    }
  }
})

test('every gateway frame of gateway.json decodes to its meaning and re-encodes byte for byte; the envelope inside decodes too', () => {
  const all = vectors('gateway.json')
  assert.ok(all.length >= 5)
  for (const vector of all) {
    const frame = readGatewayFrame(bytes(vector.frames[0]))
    const meaningOf = frame.frames ? { frames: frame.frames.map(hex) } : frame.subscribe ? { subscribe: hex(frame.subscribe) } : { unsubscribe: hex(frame.unsubscribe) }
    assert.deepEqual(meaningOf, vector.meaning, vector.name)
    assert.equal(hex(writeGatewayFrame(frame)), vector.frames[0], `${vector.name}: re-encoding`)
    if (frame.frames?.length === 3) assert.equal(readMessage(frame.frames).header.type, 'heartbeat')
    if (frame.frames?.length === 1) assert.equal(readBeacon(frame.frames[0]).term, 3n)
  }
  for (const hostile of [[0, 2, 0, 0], [7], [0, 1, 5, 1], [1, ...new Array(300).fill(0x44)]]) {
    assert.throws(() => readGatewayFrame(Uint8Array.from(hostile)), WireError, JSON.stringify(hostile.slice(0, 6)))
  }
})
