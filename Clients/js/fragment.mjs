// Values, container IDs and fragments (docs/protocol.md §6–§7) in dependency-free JavaScript.
// Every decoder validates as the spec says before anything is used: a bad fragment throws a
// WireError and nothing of it is applied.
//
// Representation: counters and Lamport times are Numbers (counters stay below 2^40, Lamport
// times below 2^53); a Value is null, a boolean, a BigInt (int), a Number (double), a string,
// a Uint8Array (bytes), an Array or a Map (object).
import { Reader, Writer, WireError } from './wire.mjs'

export const CONTAINER_TYPES = ['text', 'list', 'map', 'register', 'multiValueRegister', 'counter', 'set']
export const OP_KINDS = ['insert', 'delete', 'mapSet', 'registerSet', 'counterAdd', 'setAdd', 'setRemove']
/** The largest counter an operation may carry (2^40 − 2, §7). */
export const MAX_COUNTER = 2 ** 40 - 2
/** Remote Lamport times stay below 2^52 (§7). */
export const REMOTE_LAMPORT_CEILING = 2 ** 52
const MAX_DEPTH = 64
const MAX_UNITS = 4 << 20
const INT64_MIN = -(1n << 63n)
const INT64_MAX = (1n << 63n) - 1n

// MARK: - Values (§6)

export function readValue (reader, depth = 0) {
  if (depth >= MAX_DEPTH) throw new WireError(`value nesting deeper than ${MAX_DEPTH}`)
  const tag = reader.byte('value tag')
  switch (tag) {
    case 0: return null
    case 1: return false
    case 2: return true
    case 3: return reader.svarint('int value')
    case 4: {
      const value = reader.f64('double value')
      if (Number.isNaN(value)) throw new WireError('a double value is NaN')
      return value
    }
    case 5: return reader.string('string value')
    case 6: return reader.bytesValue('bytes value')
    case 7: return Array.from({ length: reader.count('array count') }, () => readValue(reader, depth + 1))
    case 8: {
      const count = reader.count('object count', 2)
      const object = new Map()
      for (let index = 0; index < count; index++) {
        const key = reader.string('object key')
        if (object.has(key)) throw new WireError(`object key ${JSON.stringify(key)} appears twice`)
        object.set(key, readValue(reader, depth + 1))
      }
      return object
    }
    default: throw new WireError(`value tag ${tag}`)
  }
}

const utf8 = new TextEncoder()

/** Orders object keys as the spec does: ascending UTF-8 bytes. */
function compareBytes (left, right) {
  const a = utf8.encode(left)
  const b = utf8.encode(right)
  for (let index = 0; index < Math.min(a.length, b.length); index++) if (a[index] !== b[index]) return a[index] - b[index]
  return a.length - b.length
}

export function writeValue (writer, value) {
  if (value === null) return writer.byte(0)
  if (value === false) return writer.byte(1)
  if (value === true) return writer.byte(2)
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX) throw new WireError(`int value out of range: ${value}`)
    return writer.byte(3).svarint(value)
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new WireError('a double value is NaN')
    return writer.byte(4).f64(value)
  }
  if (typeof value === 'string') return writer.byte(5).string(value)
  if (value instanceof Uint8Array) return writer.byte(6).bytesValue(value)
  if (Array.isArray(value)) {
    writer.byte(7).varint(value.length)
    for (const element of value) writeValue(writer, element)
    return writer
  }
  if (value instanceof Map) {
    writer.byte(8).varint(value.size)
    for (const key of [...value.keys()].sort(compareBytes)) writeValue(writer.string(key), value.get(key))
    return writer
  }
  throw new WireError(`not a Zinc value: ${typeof value}`)
}

// MARK: - Container IDs (§6)

function containerType (raw) {
  const type = CONTAINER_TYPES[raw - 1]
  if (type === undefined) throw new WireError(`container type ${raw}`)
  return type
}

export function readContainerID (reader, depth = 0) {
  if (depth >= MAX_DEPTH) throw new WireError(`container nesting deeper than ${MAX_DEPTH}`)
  const tag = reader.byte('container tag')
  const type = containerType(tag & 0x0f)
  switch (tag >> 4) {
    case 0: return { type, name: reader.string('container name') }
    case 1: {
      const parent = readContainerID(reader, depth + 1)
      if (parent.type !== 'map') throw new WireError('a map entry whose parent is not a map')
      return { type, parent, key: reader.string('container key') }
    }
    case 2: {
      const parent = readContainerID(reader, depth + 1)
      if (parent.type !== 'list') throw new WireError('a list element whose parent is not a list')
      const replica = reader.id('container element replica')
      // The spec bounds no element counter here; one past MAX_COUNTER names no real element
      // (an op on it is refused later), so it is kept exact as a BigInt.
      const raw = reader.varint('container element counter')
      return { type, parent, element: { replica, counter: raw <= BigInt(MAX_COUNTER) ? Number(raw) : raw } }
    }
    default: throw new WireError(`container tag ${tag}`)
  }
}

export function writeContainerID (writer, container) {
  const type = CONTAINER_TYPES.indexOf(container.type) + 1
  if (type === 0) throw new WireError(`container type ${container.type}`)
  if (container.parent === undefined) return writer.byte(type).string(container.name)
  if (container.key !== undefined) {
    writer.byte(0x10 | type)
    writeContainerID(writer, container.parent)
    return writer.string(container.key)
  }
  writer.byte(0x20 | type)
  writeContainerID(writer, container.parent)
  return writer.id(container.element.replica).varint(container.element.counter)
}

/** A unique string for a container ID, for use as a Map key. */
export function containerKey (container) {
  if (container.parent === undefined) return `${container.type}:${container.name}`
  if (container.key !== undefined) return `${containerKey(container.parent)}/${JSON.stringify(container.key)}<${container.type}>`
  return `${containerKey(container.parent)}[${container.element.replica}@${container.element.counter}]<${container.type}>`
}

/** The main text of a document: the root text with the empty name. */
export const MAIN_TEXT = Object.freeze({ type: 'text', name: '' })

// MARK: - Fragments (§7)

const HEADER_AUTHOR_IMPLIED = 1 << 4
const HEADER_ONE_CONTAINER = 1 << 5
const HEADER_ONE_OP = 1 << 6
const HEADER_NO_REPLICA_TABLE = 1 << 7
const OP_SAME_REPLICA = 1 << 3
const OP_CONTINUES_COUNTER = 1 << 4
const OP_SAME_CONTAINER = 1 << 5
const OP_CONTINUES_LAMPORT = 1 << 6
const INSERT_LEFT_NONE = 1 << 0
const INSERT_LEFT_PREVIOUS = 1 << 1
const INSERT_RIGHT_NONE = 1 << 2
const INSERT_HAS_PIECES = 1 << 3
const INSERT_LIST = 1 << 4
const INSERT_LEFT_SAME_REPLICA = 1 << 5
const INSERT_RIGHT_SAME_REPLICA = 1 << 6

/** The operation units an op takes: counters and Lamport times (§6). */
export function opLength (op) {
  const body = op.body
  switch (body.kind) {
    case 'insert': return body.pieces.length > 0 ? body.pieces.reduce((sum, piece) => sum + piece.count, 0) : contentLength(body)
    case 'delete': return body.spans.reduce((sum, span) => sum + span.length, 0)
    default: return 1
  }
}

/** Elements of an insert's content: Unicode scalars of text, or list elements. */
export function contentLength (body) { return body.text !== undefined ? scalarCount(body.text) : body.list.length }

/** Unicode scalars in a (well-formed) string. */
export function scalarCount (text) {
  let count = 0
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index)
    if (unit < 0xd800 || unit > 0xdbff) count += 1
  }
  return count
}

function readListElement (reader) {
  const tag = reader.byte('list element tag')
  if (tag === 0) return { value: readValue(reader) }
  if (tag === 1) return { container: containerType(reader.byte('list container type')) }
  throw new WireError(`list element tag ${tag}`)
}

function writeListElement (writer, element) {
  if ('value' in element) { writeValue(writer.byte(0), element.value); return }
  writer.byte(1).byte(CONTAINER_TYPES.indexOf(element.container) + 1)
}

function readMapValue (reader) {
  const tag = reader.byte('map value tag')
  if (tag === 0) return { value: readValue(reader) }
  if (tag === 1) return { container: containerType(reader.byte('map container type')) }
  if (tag === 2) return { deleted: true }
  throw new WireError(`map value tag ${tag}`)
}

export function writeMapValue (writer, mapValue) {
  if ('value' in mapValue) { writeValue(writer.byte(0), mapValue.value); return }
  if ('container' in mapValue) { writer.byte(1).byte(CONTAINER_TYPES.indexOf(mapValue.container) + 1); return }
  writer.byte(2)
}
export { readMapValue }

/**
 * Decodes a fragment. `author` (a UUID) is required when the fragment leaves its author out
 * (the envelope's origin). Returns `{ replicas, containers, ops }`; ops refer to the tables
 * by index, as on the wire.
 */
export function decodeFragment (bytes, author = null) {
  const reader = new Reader(bytes)
  const fragment = readFragment(reader, author)
  reader.expectEnd('fragment')
  return fragment
}

export function readFragment (reader, author = null) {
  const header = reader.byte('fragment header')
  if ((header & 0x0f) !== 1) throw new WireError(`fragment format ${header & 0x0f}`)
  const replicas = []
  if (header & HEADER_AUTHOR_IMPLIED) {
    if (author === null) throw new WireError('fragment omits its author and none was given')
    replicas.push(author)
  }
  if ((header & HEADER_NO_REPLICA_TABLE) === 0) {
    const count = reader.count('fragment replica count', 16)
    if (count === 0 || replicas.length + count > (1 << 20)) throw new WireError(`fragment names ${count} replicas`)
    for (let index = 0; index < count; index++) replicas.push(reader.id('fragment replica'))
  }
  const containerCount = header & HEADER_ONE_CONTAINER ? 1 : reader.count('fragment container count', 2)
  const containers = Array.from({ length: containerCount }, () => readContainerID(reader))
  const opCount = header & HEADER_ONE_OP ? 1 : reader.count('fragment op count', 2)
  if (opCount > 0 && (containers.length === 0 || replicas.length === 0)) throw new WireError('fragment ops without replicas or containers')
  const ops = []
  let previous = null
  let units = 0
  for (let index = 0; index < opCount; index++) {
    const op = readOp(reader, previous, replicas.length, containers.length, `fragment op ${index}`)
    units += opLength(op)
    if (units > MAX_UNITS) throw new WireError(`fragment holds more than ${MAX_UNITS} operation units`)
    ops.push(op)
    previous = op
  }
  return { replicas, containers, ops }
}

function readOp (reader, previous, replicaCount, containerCount, what) {
  const head = reader.byte(what)
  if (head & 0x80) throw new WireError(`${what}: reserved bit set`)
  const replica = head & OP_SAME_REPLICA ? (previous?.replica ?? 0) : reader.small(replicaCount - 1, `${what} replica`)
  let counter
  if (head & OP_CONTINUES_COUNTER) {
    if (previous === null || previous.replica !== replica) throw new WireError(`${what}: continues no op`)
    counter = previous.counter + opLength(previous)
  } else {
    counter = reader.small(2 ** 53, `${what} counter`)
  }
  if (counter > MAX_COUNTER) throw new WireError(`${what}: counter ${counter} too large`)
  const container = head & OP_SAME_CONTAINER ? (previous?.container ?? 0) : reader.small(containerCount - 1, `${what} container`)
  let lamport
  if (head & OP_CONTINUES_LAMPORT) {
    if (previous === null) throw new WireError(`${what}: continues no op`)
    lamport = previous.lamport + opLength(previous)
  } else {
    lamport = counter + reader.smallSigned(2 ** 53, `${what} lamport`)
  }
  if (lamport < 0) throw new WireError(`${what}: negative Lamport time`)
  const referenced = delta => {
    const value = counter + delta
    if (value < 0 || value > MAX_COUNTER) throw new WireError(`${what}: reference counter out of range`)
    return value
  }
  const readRefs = () => Array.from({ length: reader.count(`${what} references`, 2) }, () => {
    const refReplica = reader.small(replicaCount - 1, `${what} reference replica`)
    return { replica: refReplica, counter: reader.small(MAX_COUNTER, `${what} reference counter`) }
  })
  let body
  const kind = OP_KINDS[head & 0x07]
  switch (kind) {
    case 'insert': {
      const flags = reader.byte(`${what} insert flags`)
      if (flags & 0x80) throw new WireError(`${what}: reserved insert bit`)
      let left = null
      if ((flags & INSERT_LEFT_NONE) === 0) {
        if (flags & INSERT_LEFT_PREVIOUS) {
          if (counter === 0) throw new WireError(`${what}: no previous item`)
          left = { replica, counter: counter - 1 }
        } else {
          const leftReplica = flags & INSERT_LEFT_SAME_REPLICA ? replica : reader.small(replicaCount - 1, `${what} left replica`)
          left = { replica: leftReplica, counter: referenced(reader.smallSigned(2 ** 53, `${what} left`)) }
        }
      }
      let right = null
      if ((flags & INSERT_RIGHT_NONE) === 0) {
        const rightReplica = flags & INSERT_RIGHT_SAME_REPLICA ? replica : reader.small(replicaCount - 1, `${what} right replica`)
        right = { replica: rightReplica, counter: referenced(reader.smallSigned(2 ** 53, `${what} right`)) }
      }
      body = { kind, left, right, pieces: [] }
      if (flags & INSERT_LIST) body.list = Array.from({ length: reader.count(`${what} list elements`) }, () => readListElement(reader))
      else body.text = reader.string(`${what} text`)
      const elements = contentLength(body)
      if (flags & INSERT_HAS_PIECES) {
        const count = reader.count(`${what} pieces`)
        if (count === 0) throw new WireError(`${what}: empty piece list`)
        let visible = 0
        let total = 0
        for (let index = 0; index < count; index++) {
          const raw = reader.varint(`${what} piece`)
          const pieceCount = raw >> 1n > BigInt(MAX_UNITS) ? MAX_UNITS + 1 : Number(raw >> 1n)
          total += pieceCount
          if (pieceCount === 0 || total > MAX_UNITS) throw new WireError(`${what}: piece of ${pieceCount} items`)
          const deleted = (raw & 1n) === 1n
          if (!deleted) visible += pieceCount
          body.pieces.push({ count: pieceCount, deleted })
        }
        if (visible !== elements) throw new WireError(`${what}: pieces name ${visible} visible items, content has ${elements}`)
      } else if (elements === 0) {
        throw new WireError(`${what}: empty insert`)
      }
      break
    }
    case 'delete': {
      const count = reader.count(`${what} spans`, 2)
      if (count === 0) throw new WireError(`${what}: empty delete`)
      const spans = []
      let total = 0
      for (let index = 0; index < count; index++) {
        const raw = reader.varint(`${what} span`)
        const length = raw >> 2n > BigInt(MAX_UNITS) ? MAX_UNITS + 1 : Number(raw >> 2n)
        total += length
        if (length === 0 || total > MAX_UNITS) throw new WireError(`${what}: span of ${length} items`)
        const spanReplica = (raw & 1n) === 1n ? replica : reader.small(replicaCount - 1, `${what} span replica`)
        const start = referenced(reader.smallSigned(2 ** 53, `${what} span start`))
        spans.push({ start: { replica: spanReplica, counter: start }, length, descending: (raw & 2n) === 2n })
      }
      body = { kind, spans }
      break
    }
    case 'mapSet': body = { kind, key: reader.string(`${what} key`), value: readMapValue(reader) }; break
    case 'registerSet': body = { kind, value: readValue(reader), supersedes: readRefs() }; break
    case 'counterAdd': body = { kind, delta: reader.svarint(`${what} delta`) }; break
    case 'setAdd': body = { kind, value: readValue(reader) }; break
    case 'setRemove': body = { kind, value: readValue(reader), observed: readRefs() }; break
    default: throw new WireError(`${what}: kind ${head & 0x07}`)
  }
  const op = { replica, counter, lamport, container, body }
  const length = opLength(op)
  if (counter > MAX_COUNTER - length) throw new WireError(`${what}: counters overflow`)
  if (lamport >= REMOTE_LAMPORT_CEILING - length) throw new WireError(`${what}: Lamport time ${lamport} beyond 2^52`)
  return op
}

/**
 * Encodes `{ replicas, containers, ops }`. With `author` equal to `replicas[0]`, that ID is
 * left out (the receiver takes it from the envelope's origin). The choices the spec leaves to
 * the writer are made as the reference implementation makes them: every implied field is used.
 */
export function encodeFragment (fragment, author = null) {
  const writer = new Writer()
  writeFragment(writer, fragment, author)
  return writer.finish()
}

export function writeFragment (writer, { replicas, containers, ops }, author = null) {
  const implied = author !== null && replicas[0] === author
  const written = implied ? replicas.slice(1) : replicas
  let header = 1
  if (implied) header |= HEADER_AUTHOR_IMPLIED
  if (containers.length === 1) header |= HEADER_ONE_CONTAINER
  if (ops.length === 1) header |= HEADER_ONE_OP
  if (written.length === 0) header |= HEADER_NO_REPLICA_TABLE
  writer.byte(header)
  if (written.length > 0) {
    writer.varint(written.length)
    for (const replica of written) writer.id(replica)
  }
  if (containers.length !== 1) writer.varint(containers.length)
  for (const container of containers) writeContainerID(writer, container)
  if (ops.length !== 1) writer.varint(ops.length)
  let previous = null
  for (const op of ops) {
    writeOp(writer, op, previous)
    previous = op
  }
}

function writeOp (writer, op, previous) {
  let head = OP_KINDS.indexOf(op.body.kind)
  if (head < 0) throw new WireError(`op kind ${op.body.kind}`)
  const sameReplica = op.replica === (previous?.replica ?? 0)
  const continuesCounter = previous !== null && sameReplica && previous.counter + opLength(previous) === op.counter
  const sameContainer = op.container === (previous?.container ?? 0)
  const continuesLamport = previous !== null && previous.lamport + opLength(previous) === op.lamport
  if (sameReplica) head |= OP_SAME_REPLICA
  if (continuesCounter) head |= OP_CONTINUES_COUNTER
  if (sameContainer) head |= OP_SAME_CONTAINER
  if (continuesLamport) head |= OP_CONTINUES_LAMPORT
  writer.byte(head)
  if (!sameReplica) writer.varint(op.replica)
  if (!continuesCounter) writer.varint(op.counter)
  if (!sameContainer) writer.varint(op.container)
  if (!continuesLamport) writer.svarint(op.lamport - op.counter)
  const body = op.body
  const writeRefs = refs => { writer.varint(refs.length); for (const ref of refs) writer.varint(ref.replica).varint(ref.counter) }
  switch (body.kind) {
    case 'insert': {
      const { left, right } = body
      let flags = 0
      if (left === null) flags |= INSERT_LEFT_NONE
      const leftPrevious = left !== null && left.replica === op.replica && left.counter + 1 === op.counter
      if (leftPrevious) flags |= INSERT_LEFT_PREVIOUS
      if (right === null) flags |= INSERT_RIGHT_NONE
      if (body.pieces.length > 0) flags |= INSERT_HAS_PIECES
      if (body.list !== undefined) flags |= INSERT_LIST
      if (left !== null && left.replica === op.replica) flags |= INSERT_LEFT_SAME_REPLICA
      if (right !== null && right.replica === op.replica) flags |= INSERT_RIGHT_SAME_REPLICA
      writer.byte(flags)
      if (left !== null && !leftPrevious) {
        if (left.replica !== op.replica) writer.varint(left.replica)
        writer.svarint(left.counter - op.counter)
      }
      if (right !== null) {
        if (right.replica !== op.replica) writer.varint(right.replica)
        writer.svarint(right.counter - op.counter)
      }
      if (body.list !== undefined) {
        writer.varint(body.list.length)
        for (const element of body.list) writeListElement(writer, element)
      } else {
        writer.string(body.text)
      }
      if (body.pieces.length > 0) {
        writer.varint(body.pieces.length)
        for (const piece of body.pieces) writer.varint(piece.count * 2 + (piece.deleted ? 1 : 0))
      }
      break
    }
    case 'delete':
      writer.varint(body.spans.length)
      for (const span of body.spans) {
        const same = span.start.replica === op.replica
        writer.varint(span.length * 4 + (span.descending ? 2 : 0) + (same ? 1 : 0))
        if (!same) writer.varint(span.start.replica)
        writer.svarint(span.start.counter - op.counter)
      }
      break
    case 'mapSet': writer.string(body.key); writeMapValue(writer, body.value); break
    case 'registerSet': writeValue(writer, body.value); writeRefs(body.supersedes); break
    case 'counterAdd': writer.svarint(body.delta); break
    case 'setAdd': writeValue(writer, body.value); break
    case 'setRemove': writeValue(writer, body.value); writeRefs(body.observed); break
  }
}
