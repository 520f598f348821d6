// Zinc's wire format (docs/protocol.md §3–§5, §15.1, §22) in dependency-free JavaScript:
// primitives, the three-frame envelope, the control payloads and discovery datagrams.
// Written from the spec and checked against docs/vectors. Every decoder treats its input as
// hostile: lengths are checked against the bytes left, limits are enforced, and a bad input
// throws a WireError instead of returning something half-read.
//
// Numbers that can exceed 2^53 (varints, u64) are BigInt; IDs are UUID strings.

export class WireError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true })
const utf8Encoder = new TextEncoder()
const MAX_ELEMENTS = 4_194_304
const U64_MAX = (1n << 64n) - 1n

/** Reads what Writer writes, validating every length against the input. */
export class Reader {
  constructor (bytes) {
    this.bytes = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
    this.offset = 0
  }

  get remaining () { return this.bytes.length - this.offset }
  get atEnd () { return this.offset >= this.bytes.length }

  byte (what = 'byte') {
    if (this.offset >= this.bytes.length) throw new WireError(`truncated: ${what}`)
    return this.bytes[this.offset++]
  }

  take (count, what = 'bytes') {
    if (count < 0 || count > this.remaining) throw new WireError(`truncated: ${what}`)
    const slice = this.bytes.subarray(this.offset, this.offset + count)
    this.offset += count
    return slice
  }

  /** Unsigned LEB128, at most 10 bytes, no overlong form, at most 2^64 − 1 (§3). */
  varint (what = 'varint') {
    let value = 0n
    for (let index = 0; index < 10; index++) {
      const byte = this.byte(what)
      value |= BigInt(byte & 0x7f) << BigInt(7 * index)
      if ((byte & 0x80) === 0) {
        if (index > 0 && byte === 0) throw new WireError(`overlong ${what}`)
        if (value > U64_MAX) throw new WireError(`${what} exceeds 2^64 - 1`)
        return value
      }
    }
    throw new WireError(`${what} longer than 10 bytes`)
  }

  /** A varint that must fit `max` (a Number). */
  small (max, what) {
    const value = this.varint(what)
    if (value > BigInt(max)) throw new WireError(`${what}: ${value} exceeds ${max}`)
    return Number(value)
  }

  /** A count of elements that each take at least `minimumBytes`. */
  count (what, minimumBytes = 1) {
    const count = this.small(MAX_ELEMENTS, what)
    if (minimumBytes > 0 && count > Math.floor(this.remaining / minimumBytes)) {
      throw new WireError(`truncated: ${count} ${what} cannot fit in ${this.remaining} bytes`)
    }
    return count
  }

  /** A zigzag varint (§3), as a BigInt between −2^63 and 2^63 − 1. */
  svarint (what = 'svarint') {
    const raw = this.varint(what)
    return (raw & 1n) === 0n ? raw >> 1n : -(raw >> 1n) - 1n
  }

  /** A zigzag varint that must lie within ±`bound` (a Number). */
  smallSigned (bound, what) {
    const value = this.svarint(what)
    if (value > BigInt(bound) || value < -BigInt(bound)) throw new WireError(`${what}: ${value} out of range`)
    return Number(value)
  }

  f64 (what = 'f64') {
    const bytes = this.take(8, what)
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, false)
  }

  /** `length` bytes prefixed by a varint length. */
  bytesValue (what = 'bytes') {
    return Uint8Array.from(this.take(this.small(64 << 20, what), what))
  }

  u32 (what = 'u32') {
    const bytes = this.take(4, what)
    return ((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3]
  }

  u64 (what = 'u64') {
    const bytes = this.take(8, what)
    let value = 0n
    for (const byte of bytes) value = (value << 8n) | BigInt(byte)
    return value
  }

  string (what = 'string') {
    const length = this.small(64 << 20, what)
    try {
      return utf8.decode(this.take(length, what))
    } catch (error) {
      if (error instanceof WireError) throw error
      throw new WireError(`${what}: not valid UTF-8`)
    }
  }

  /** A name: 1–255 bytes of UTF-8 without NUL (§3). */
  name (what = 'name') {
    const text = this.string(what)
    if (text.length === 0 || text.includes('\0') || utf8Encoder.encode(text).length > 255) {
      throw new WireError(`${what} must be 1–255 bytes without NUL`)
    }
    return text
  }

  id (what = 'id') {
    const bytes = this.take(16, what)
    const hex = Array.from(bytes, byte => byte.toString(16).padStart(2, '0')).join('')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }

  flag (what) {
    const byte = this.byte(what)
    if (byte > 1) throw new WireError(`${what} must be 0 or 1, not ${byte}`)
    return byte === 1
  }

  expectEnd (what) {
    if (!this.atEnd) throw new WireError(`${what}: ${this.remaining} bytes left over`)
  }
}

/** Writes the primitives of §3. */
export class Writer {
  constructor () { this.parts = []; this.length = 0 }

  bytes (bytes) {
    this.parts.push(Uint8Array.from(bytes))
    this.pending = undefined
    this.length += bytes.length
    return this
  }
  byte (value) {
    // Single bytes go into a shared pending run, not an array each.
    if (this.pending === undefined || this.pending.length === 64) { this.pending = []; this.parts.push(this.pending) }
    this.pending.push(value & 0xff)
    this.length += 1
    return this
  }

  varint (value) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 0x80000000) {
      while (value >= 0x80) { this.byte((value & 0x7f) | 0x80); value >>>= 7 }
      return this.byte(value)
    }
    let rest = BigInt(value)
    if (rest < 0n || rest > U64_MAX) throw new WireError(`varint out of range: ${value}`)
    const out = []
    do {
      let byte = Number(rest & 0x7fn)
      rest >>= 7n
      if (rest > 0n) byte |= 0x80
      out.push(byte)
    } while (rest > 0n)
    return this.bytes(out)
  }

  /** Zigzag then varint (§3). */
  svarint (value) {
    const signed = BigInt(value)
    if (signed < -(1n << 63n) || signed >= (1n << 63n)) throw new WireError(`svarint out of range: ${value}`)
    return this.varint(signed >= 0n ? signed << 1n : ((-signed) << 1n) - 1n)
  }

  f64 (value) {
    const bytes = new Uint8Array(8)
    new DataView(bytes.buffer).setFloat64(0, value, false)
    return this.bytes(bytes)
  }

  bytesValue (bytes) { return this.varint(bytes.length).bytes(bytes) }

  u32 (value) { return this.bytes([(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]) }

  u64 (value) {
    let rest = BigInt(value)
    const out = new Array(8)
    for (let index = 7; index >= 0; index--) { out[index] = Number(rest & 0xffn); rest >>= 8n }
    return this.bytes(out)
  }

  string (text) {
    const encoded = utf8Encoder.encode(text)
    return this.varint(encoded.length).bytes(encoded)
  }

  id (uuid) {
    const hex = uuid.replaceAll('-', '')
    if (!/^[0-9a-f]{32}$/i.test(hex)) throw new WireError(`not a UUID: ${uuid}`)
    const out = []
    for (let index = 0; index < 32; index += 2) out.push(parseInt(hex.slice(index, index + 2), 16))
    return this.bytes(out)
  }

  flag (value) { return this.byte(value ? 1 : 0) }

  finish () {
    const out = new Uint8Array(this.length)
    let offset = 0
    for (const part of this.parts) { out.set(part, offset); offset += part.length }
    this.pending = undefined
    return out
  }
}

// MARK: - Common structures (§5)

const MAX_ENDPOINT = 1024

function readEndpoints (reader) {
  const publish = reader.string('publish endpoint')
  const pull = reader.string('pull endpoint')
  for (const endpoint of [publish, pull]) {
    const length = utf8Encoder.encode(endpoint).length
    if (length === 0 || length > MAX_ENDPOINT) throw new WireError(`endpoint empty or longer than ${MAX_ENDPOINT} bytes`)
  }
  return { publish, pull }
}

function writeEndpoints (writer, endpoints) { writer.string(endpoints.publish).string(endpoints.pull) }

function readOptionalEndpoints (reader) {
  const tag = reader.byte('endpoints tag')
  if (tag === 0) return null
  if (tag === 1) return readEndpoints(reader)
  throw new WireError(`endpoints tag ${tag}`)
}

function writeOptionalEndpoints (writer, endpoints) {
  if (endpoints === null) { writer.byte(0); return }
  writer.byte(1)
  writeEndpoints(writer, endpoints)
}

function readChildEntry (reader) {
  return { id: reader.id('child ID'), endpoints: readOptionalEndpoints(reader), rank: reader.varint('child rank') }
}

function writeChildEntry (writer, entry) {
  writer.id(entry.id)
  writeOptionalEndpoints(writer, entry.endpoints)
  writer.varint(entry.rank)
}

function readPath (reader) {
  const count = reader.small(65, 'path length')
  const path = []
  for (let index = 0; index < count; index++) path.push(reader.id('path entry'))
  return path
}

function writePath (writer, path) { writer.varint(path.length); for (const id of path) writer.id(id) }

function readInterest (reader) {
  const tag = reader.byte('interest tag')
  if (tag === 0) return 'all'
  if (tag !== 1) throw new WireError(`interest tag ${tag}`)
  const count = reader.count('interest documents', 2)
  const documents = []
  for (let index = 0; index < count; index++) documents.push(reader.name('interest document'))
  return { documents }
}

function writeInterest (writer, interest) {
  if (interest === 'all') { writer.byte(0); return }
  writer.byte(1).varint(interest.documents.length)
  for (const document of interest.documents) writer.string(document)
}

/** A version vector (§3): sorted, no replica twice, counts 1 … 2^40 − 1. */
export function readVersionVector (reader) {
  const count = reader.count('version vector', 17)
  const vector = {}
  let previous = null
  for (let index = 0; index < count; index++) {
    const replica = reader.id(`version vector entry ${index}`)
    const counter = reader.varint('version vector count')
    if (previous !== null && replica <= previous) throw new WireError('version vector entries unsorted or repeated')
    if (counter < 1n || counter >= (1n << 40n)) throw new WireError(`version vector count ${counter} out of range`)
    vector[replica] = counter
    previous = replica
  }
  return vector
}

export function writeVersionVector (writer, vector) {
  const replicas = Object.keys(vector).sort()
  writer.varint(replicas.length)
  for (const replica of replicas) writer.id(replica).varint(vector[replica])
}

// MARK: - Topics and the header (§4)

export const MESSAGE_TYPES = ['delta', 'join', 'welcome', 'redirect', 'syncRequest', 'syncReply', 'transferChunk', 'transferAck', 'heartbeat', 'presence', 'application', 'leave', 'mergeInvitation', 'held']
const HEADER_SIZE = 56

export function readTopic (bytes) {
  const reader = new Reader(bytes)
  const kind = String.fromCharCode(reader.byte('topic kind'))
  if (kind === 'T') { reader.expectEnd('tree topic'); return { kind: 'tree' } }
  if (kind === 'N') { const node = reader.id('topic node'); reader.expectEnd('node topic'); return { kind: 'node', node } }
  if (kind === 'D' || kind === 'A') {
    const end = reader.bytes.indexOf(0, 1)
    if (end < 2 || end !== reader.bytes.length - 1 || end - 1 > 255) throw new WireError('topic name without terminator, empty or too long')
    let name
    try { name = utf8.decode(reader.bytes.subarray(1, end)) } catch { throw new WireError('topic name: not valid UTF-8') }
    return kind === 'D' ? { kind: 'document', name } : { kind: 'application', name }
  }
  throw new WireError(`topic kind ${kind.charCodeAt(0)}`)
}

export function writeTopic (topic) {
  switch (topic.kind) {
    case 'tree': return Uint8Array.of(0x54)
    case 'node': return new Writer().byte(0x4e).id(topic.node).finish()
    case 'document': return new Writer().byte(0x44).bytes(utf8Encoder.encode(topic.name)).byte(0).finish()
    case 'application': return new Writer().byte(0x41).bytes(utf8Encoder.encode(topic.name)).byte(0).finish()
    default: throw new WireError(`topic kind ${topic.kind}`)
  }
}

export function readHeader (bytes, payloadLength) {
  if (bytes.length !== HEADER_SIZE) throw new WireError(`header of ${bytes.length} bytes`)
  const reader = new Reader(bytes)
  if (reader.byte() !== 0x5a || reader.byte() !== 1) throw new WireError('header magic or version')
  const typeByte = reader.byte('type')
  const type = MESSAGE_TYPES[typeByte - 1]
  if (type === undefined) throw new WireError(`message type ${typeByte}`)
  const header = {
    type, flags: reader.byte('flags'), origin: reader.id('origin'), sender: reader.id('sender'),
    lamport: reader.u64('lamport'), term: reader.u64('term'), payloadLength: reader.u32('length')
  }
  if (payloadLength !== undefined && header.payloadLength !== payloadLength) throw new WireError('header length disagrees with the payload')
  return header
}

export function writeHeader (header) {
  const type = MESSAGE_TYPES.indexOf(header.type) + 1
  if (type === 0) throw new WireError(`message type ${header.type}`)
  return new Writer().byte(0x5a).byte(1).byte(type).byte(header.flags ?? 0).id(header.origin).id(header.sender)
    .u64(header.lamport).u64(header.term).u32(header.payloadLength).finish()
}

// MARK: - Payloads (§5)

const TRANSFER_KINDS = [null, 'snapshot', 'fragment']
const ROUTINGS = ['down', 'up', null, 'broadcast']
/** The largest transfer a receiver accepts (§12). */
export const MAX_TRANSFER = 512 * 1024 * 1024

/** Decoders and encoders of the payloads this module knows, by message type. */
export const payloads = {
  join: {
    read: r => ({ endpoints: readOptionalEndpoints(r), interest: readInterest(r), subtreeSize: r.varint('subtree size'), afterFailover: r.flag('afterFailover') }),
    write: (w, p) => { writeOptionalEndpoints(w, p.endpoints); writeInterest(w, p.interest); w.varint(p.subtreeSize).flag(p.afterFailover) }
  },
  welcome: {
    read: r => {
      const rank = r.varint('rank'); const root = r.id('root'); const depth = r.varint('depth'); const grandparent = readOptionalEndpoints(r)
      const siblings = Array.from({ length: r.count('siblings', 18) }, () => readChildEntry(r))
      const documents = Array.from({ length: r.count('documents', 2) }, () => r.name('document'))
      return { rank, root, depth, grandparent, siblings, documents, path: readPath(r) }
    },
    write: (w, p) => {
      w.varint(p.rank).id(p.root).varint(p.depth); writeOptionalEndpoints(w, p.grandparent)
      w.varint(p.siblings.length); for (const sibling of p.siblings) writeChildEntry(w, sibling)
      w.varint(p.documents.length); for (const document of p.documents) w.string(document)
      writePath(w, p.path)
    }
  },
  redirect: {
    read: r => ({ target: r.id('target'), endpoints: readEndpoints(r) }),
    write: (w, p) => { w.id(p.target); writeEndpoints(w, p.endpoints) }
  },
  syncRequest: {
    read: r => ({ document: r.name('document'), version: readVersionVector(r) }),
    write: (w, p) => { w.string(p.document); writeVersionVector(w, p.version) }
  },
  syncReply: {
    read: r => ({ document: r.name('document'), version: readVersionVector(r), transferFollows: r.flag('transferFollows'), fragment: r.bytesValue('fragment') }),
    write: (w, p) => { w.string(p.document); writeVersionVector(w, p.version); w.flag(p.transferFollows).bytesValue(p.fragment) }
  },
  transferChunk: {
    read: r => {
      const transfer = r.varint('transfer'); const document = r.name('document'); const index = r.varint('chunk index'); const count = r.varint('chunk count')
      const kind = TRANSFER_KINDS[r.byte('transfer kind')]
      if (kind === undefined || kind === null) throw new WireError('transfer kind')
      const totalSize = r.varint('transfer size')
      if (count === 0n || index >= count) throw new WireError('chunk index outside its count')
      if (totalSize > BigInt(MAX_TRANSFER)) throw new WireError(`a transfer of ${totalSize} bytes`)
      const covering = readVersionVector(r)
      return { transfer, document, index, count, kind, totalSize, covering, bytes: r.bytesValue('chunk') }
    },
    write: (w, p) => {
      w.varint(p.transfer).string(p.document).varint(p.index).varint(p.count).byte(TRANSFER_KINDS.indexOf(p.kind)).varint(p.totalSize)
      writeVersionVector(w, p.covering)
      w.bytesValue(p.bytes)
    }
  },
  application: {
    read: r => {
      const channel = r.name('channel')
      const tag = r.byte('routing')
      const routing = tag === 2 ? { node: r.id('routing target') } : ROUTINGS[tag]
      if (routing === undefined || routing === null) throw new WireError(`routing ${tag}`)
      return { channel, routing, sequence: r.varint('sequence'), hops: BigInt(r.byte('hops')), body: r.bytesValue('body') }
    },
    write: (w, p) => {
      w.string(p.channel)
      if (typeof p.routing === 'object') w.byte(2).id(p.routing.node)
      else w.byte(ROUTINGS.indexOf(p.routing))
      w.varint(p.sequence).byte(Number(p.hops)).bytesValue(p.body)
    }
  },
  transferAck: {
    read: r => ({ transfer: r.varint('transfer'), document: r.name('document'), next: r.varint('next') }),
    write: (w, p) => { w.varint(p.transfer).string(p.document).varint(p.next) }
  },
  heartbeat: {
    read: r => {
      const root = r.id('root'); const depth = r.small(1 << 20, 'depth'); const grandparent = readOptionalEndpoints(r)
      const children = Array.from({ length: r.count('children', 18) }, () => readChildEntry(r))
      const subtreeSize = r.small(0xffffffff, 'subtree size')
      const digests = Array.from({ length: r.count('digests', 10) }, () => ({ document: r.name('digest document'), digest: r.u64('digest'), operations: r.varint('operations') }))
      const path = readPath(r)
      const claimed = r.count('claimed replicas', 16)
      if (claimed > 4096) throw new WireError(`heartbeat claims ${claimed} replicas`)
      const replicas = Array.from({ length: claimed }, () => r.id('claimed replica'))
      const rumorCount = r.count('rumors', 19)
      if (rumorCount > 8) throw new WireError(`heartbeat carries ${rumorCount} rumors`)
      const rumors = Array.from({ length: rumorCount }, () => {
        const publish = r.string('rumored address')
        const length = utf8Encoder.encode(publish).length
        if (length === 0 || length > MAX_ENDPOINT) throw new WireError('rumored address empty or too long')
        return { publish, root: r.id('rumored root'), age: BigInt(r.small(1 << 20, 'rumor age')) }
      })
      return { root, depth: BigInt(depth), grandparent, children, subtreeSize: BigInt(subtreeSize), digests, path, replicas, rumors }
    },
    write: (w, p) => {
      w.id(p.root).varint(p.depth); writeOptionalEndpoints(w, p.grandparent)
      w.varint(p.children.length); for (const child of p.children) writeChildEntry(w, child)
      w.varint(p.subtreeSize)
      w.varint(p.digests.length); for (const digest of p.digests) w.string(digest.document).u64(digest.digest).varint(digest.operations)
      writePath(w, p.path)
      w.varint(p.replicas.length); for (const replica of p.replicas) w.id(replica)
      w.varint(p.rumors.length); for (const rumor of p.rumors) w.string(rumor.publish).id(rumor.root).varint(rumor.age)
    }
  },
  leave: {
    read: r => ({ successor: r.flag('successor tag') ? readChildEntry(r) : null }),
    write: (w, p) => { w.flag(p.successor !== null); if (p.successor !== null) writeChildEntry(w, p.successor) }
  },
  mergeInvitation: {
    read: r => ({ root: r.id('root'), endpoints: readEndpoints(r), term: r.varint('term') }),
    write: (w, p) => { w.id(p.root); writeEndpoints(w, p.endpoints); w.varint(p.term) }
  },
  held: {
    read: r => ({ version: readVersionVector(r) }),
    write: (w, p) => writeVersionVector(w, p.version)
  }
}

/**
 * Decodes a three-frame message: its topic, header and, for the payload types this module
 * knows, the payload (otherwise `payload` holds the raw bytes and `decoded` is false).
 */
export function readMessage (frames) {
  if (frames.length !== 3) throw new WireError(`a message has 3 frames, not ${frames.length}`)
  const topic = readTopic(frames[0])
  const header = readHeader(frames[1], frames[2].length)
  const codec = payloads[header.type]
  if (codec === undefined) return { topic, header, payload: Uint8Array.from(frames[2]), decoded: false }
  const reader = new Reader(frames[2])
  const payload = codec.read(reader)
  reader.expectEnd(header.type)
  return { topic, header, payload, decoded: true }
}

/** Encodes what readMessage returns (the header's length is recomputed). */
export function writeMessage (message) {
  let payload
  if (message.decoded === false) {
    payload = message.payload
  } else {
    const writer = new Writer()
    payloads[message.header.type].write(writer, message.payload)
    payload = writer.finish()
  }
  return [writeTopic(message.topic), writeHeader({ ...message.header, payloadLength: payload.length }), payload]
}

/**
 * Splits a packed frame (§4: the topic once, then each message's header and payload) into the
 * three frames of each of its messages, in order. Any fault rejects the whole frame.
 */
export function unpackFrame (frame) {
  const kind = frame[0]
  let topicLength
  if (kind === 0x44 || kind === 0x41) {
    topicLength = frame.subarray(0, 257).indexOf(0) + 1
    if (topicLength === 0) throw new WireError('packed frame: topic name without terminator')
  } else if (kind === 0x4e) {
    topicLength = 17
  } else if (kind === 0x54) {
    topicLength = 1
  } else {
    throw new WireError(`packed frame: topic kind ${kind}`)
  }
  if (frame.length < topicLength) throw new WireError('packed frame: topic cut short')
  const topic = frame.slice(0, topicLength)
  readTopic(topic)
  const messages = []
  let offset = topicLength
  do {
    if (frame.length - offset < HEADER_SIZE) throw new WireError('packed frame: header cut short')
    const header = frame.slice(offset, offset + HEADER_SIZE)
    const length = Number(readHeader(header).payloadLength)
    offset += HEADER_SIZE
    if (length > frame.length - offset) throw new WireError('packed frame: payload past its end')
    messages.push([topic, header, frame.slice(offset, offset + length)])
    offset += length
  } while (offset < frame.length)
  return messages
}

/** Packs the three frames of each message of one topic into one frame (§4). */
export function packFrames (messages) {
  const writer = new Writer().bytes(messages[0][0])
  for (const [, header, payload] of messages) writer.bytes(header).bytes(payload)
  return writer.finish()
}

// MARK: - The beacon (§5.1)

export function readBeacon (frame) {
  const reader = new Reader(frame)
  if (reader.byte('beacon frame') !== 0x57) throw new WireError('not a welcome frame')
  const version = reader.byte('beacon version')
  if (version !== 1) throw new WireError(`beacon version ${version}`)
  const beacon = { node: reader.id('beacon node'), endpoints: readEndpoints(reader), root: reader.id('beacon root'), term: reader.varint('beacon term'), depth: BigInt(reader.small(1 << 20, 'beacon depth')), path: readPath(reader) }
  reader.expectEnd('beacon')
  return beacon
}

export function writeBeacon (beacon) {
  const writer = new Writer().byte(0x57).byte(1).id(beacon.node)
  writeEndpoints(writer, beacon.endpoints)
  writer.id(beacon.root).varint(beacon.term).varint(beacon.depth)
  writePath(writer, beacon.path)
  return writer.finish()
}

// MARK: - Discovery datagrams (§22)

const DISCOVERY_MAGIC = [0x5a, 0x4e, 0x44]
const MAX_DATAGRAM = 1400
const MIN_SURVEY = 256
const ROLES = ['root', 'host', 'client', 'joining']

function readClusterName (reader, allowEmpty = false) {
  const name = reader.string('cluster name')
  const length = utf8Encoder.encode(name).length
  if (allowEmpty && length === 0) return name
  if (length === 0 || length > 64 || name.includes('\0')) throw new WireError('cluster name must be 1–64 bytes without NUL')
  return name
}

export function readDatagram (bytes) {
  if (bytes.length > MAX_DATAGRAM) throw new WireError(`datagram of ${bytes.length} bytes`)
  const reader = new Reader(bytes)
  const magic = reader.take(3, 'discovery magic')
  if (!DISCOVERY_MAGIC.every((byte, index) => magic[index] === byte)) throw new WireError('not a Zinc discovery datagram')
  const version = reader.byte('discovery version')
  if (version !== 1) throw new WireError(`discovery version ${version}`)
  const kind = reader.byte('discovery kind')
  if (kind === 1) {
    const announcement = {
      cluster: readClusterName(reader), node: reader.id('announcing node'), root: reader.id('announced root'), term: reader.varint('announced term'),
      depth: BigInt(reader.small(1 << 20, 'announced depth')), children: BigInt(reader.small(1 << 20, 'announced children')),
      fanout: BigInt(reader.small(1 << 20, 'announced fan-out')), endpoints: null
    }
    if (announcement.fanout === 0n) throw new WireError('announced fan-out 0')
    announcement.endpoints = readEndpoints(reader)
    reader.expectEnd('announcement')
    return { announcement }
  }
  if (kind === 2) {
    if (bytes.length < MIN_SURVEY) throw new WireError(`survey of ${bytes.length} bytes`)
    const survey = { cluster: readClusterName(reader, true), nonce: reader.u64('survey nonce') }
    while (!reader.atEnd) if (reader.byte('padding') !== 0) throw new WireError('survey padding that is not zero')
    return { survey }
  }
  if (kind === 3) {
    const nonce = reader.u64('answer nonce'); const cluster = readClusterName(reader); const node = reader.id('answering node')
    const role = ROLES[reader.byte('answer role')]
    if (role === undefined) throw new WireError('answer role')
    const parent = reader.flag('answer parent tag') ? reader.id('answer parent') : null
    const children = BigInt(reader.small(1 << 20, 'answer children')); const root = reader.id('answer root'); const term = reader.varint('answer term')
    const depth = BigInt(reader.small(1 << 20, 'answer depth')); const endpoints = readOptionalEndpoints(reader)
    const documentCount = BigInt(reader.small(0xffffffff, 'document count'))
    const listed = reader.count('answer documents', 2)
    if (BigInt(listed) > documentCount) throw new WireError('more documents listed than counted')
    const documents = Array.from({ length: listed }, () => reader.name('answer document'))
    reader.expectEnd('survey answer')
    return { answer: { nonce, cluster, node, role, parent, children, root, term, depth, endpoints, documentCount, documents } }
  }
  throw new WireError(`discovery kind ${kind}`)
}

export function writeDatagram (datagram) {
  const writer = new Writer().bytes(DISCOVERY_MAGIC).byte(1)
  if (datagram.announcement) {
    const a = datagram.announcement
    writer.byte(1).string(a.cluster).id(a.node).id(a.root).varint(a.term).varint(a.depth).varint(a.children).varint(a.fanout)
    writeEndpoints(writer, a.endpoints)
  } else if (datagram.survey) {
    writer.byte(2).string(datagram.survey.cluster).u64(datagram.survey.nonce)
    if (writer.length < MIN_SURVEY) writer.bytes(new Array(MIN_SURVEY - writer.length).fill(0))
  } else if (datagram.answer) {
    const a = datagram.answer
    writer.byte(3).u64(a.nonce).string(a.cluster).id(a.node).byte(ROLES.indexOf(a.role))
    writer.flag(a.parent !== null); if (a.parent !== null) writer.id(a.parent)
    writer.varint(a.children).id(a.root).varint(a.term).varint(a.depth)
    writeOptionalEndpoints(writer, a.endpoints)
    writer.varint(a.documentCount).varint(a.documents.length)
    for (const document of a.documents) writer.string(document)
  } else {
    throw new WireError('not a datagram')
  }
  return writer.finish()
}

// MARK: - WebSocket gateway frames (§23)

/**
 * One binary WebSocket message to or from a node's gateway: `{ frames }` (a beacon or an
 * envelope), `{ subscribe: prefix }` or `{ unsubscribe: prefix }`.
 */
export function readGatewayFrame (bytes, maxMessage = 64 << 20) {
  const reader = new Reader(bytes)
  const kind = reader.byte('gateway frame kind')
  if (kind === 0) {
    const count = reader.small(3, 'gateway frame count')
    if (count !== 1 && count !== 3) throw new WireError(`a gateway message of ${count} frames`)
    const frames = []
    for (let index = 0; index < count; index++) {
      const length = reader.small(maxMessage, 'gateway frame')
      frames.push(reader.take(length, 'gateway frame'))
    }
    reader.expectEnd('gateway message')
    return { frames }
  }
  if (kind === 1 || kind === 2) {
    const prefix = reader.take(reader.remaining, 'subscription prefix')
    if (prefix.length > 257) throw new WireError(`a subscription prefix of ${prefix.length} bytes`)
    return kind === 1 ? { subscribe: prefix } : { unsubscribe: prefix }
  }
  throw new WireError(`gateway frame kind ${kind}`)
}

export function writeGatewayFrame (frame) {
  const writer = new Writer()
  if (frame.frames) {
    writer.byte(0).varint(frame.frames.length)
    for (const part of frame.frames) writer.bytesValue(part)
  } else if (frame.subscribe) {
    writer.byte(1).bytes(frame.subscribe)
  } else if (frame.unsubscribe) {
    writer.byte(2).bytes(frame.unsubscribe)
  } else {
    throw new WireError('not a gateway frame')
  }
  return writer.finish()
}
