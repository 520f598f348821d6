// Snapshots (docs/protocol.md §8), version 2, decoded for a JavaScript client: the replica
// table, version vector, Lamport clock and every text and list with its items, origins,
// tombstones and kept deleted content. Maps, registers, counters, sets, the logs and the history
// base are read and validated as the spec says, then set aside (a text client does not show
// them, and their operations stay with the tree).
//
// Decoding is async only because zlib blocks are inflated with the platform's
// DecompressionStream; nothing is used before the whole snapshot has been validated.
import { Reader, WireError } from './wire.mjs'
import { readContainerID, readValue, readMapValue, containerKey, CONTAINER_TYPES, MAX_COUNTER } from './fragment.mjs'
import { ItemIndex } from './sequence.mjs'

const MAGIC = [0x5a, 0x4e, 0x43, 0x53]
const MAX_ITEMS = 64 << 20
const MAX_BYTES = 64 << 20
const LAMPORT_CEILING = 2 ** 53

const RUN_DELETED = 1
const RUN_CONTINUES = 2
const RUN_LEFT_PREVIOUS = 4
const RUN_LEFT_NONE = 8
const RUN_RIGHT_NEXT = 16
const RUN_RIGHT_NONE = 32

/**
 * Decodes snapshot bytes. Returns `{ replicas, version, bases, clock, sequences }` where
 * `version` and `bases` are per replica (Numbers), and `sequences` is a Map from container key
 * to `{ container, items, index, visibleCount }`, items in document order as
 * `{ replica, counter, left, right, deleted, content }` (replica as a table index, origins as
 * items or null, content null for a deleted item whose content was not kept), `index` an
 * ItemIndex of them.
 */
export async function decodeSnapshot (bytes, nested = false) {
  const blocks = []
  const structure = readStructure(new Reader(bytes), blocks, nested)
  // Inflate compressed blocks, then place every block's content.
  for (const block of blocks) block.bytes = block.compressed ? await inflate(block.raw, block.size) : block.raw
  for (const fill of structure.fills) fill()
  if (!nested && structure.historyBase.length > 0) await validateHistoryBase(structure)
  return { replicas: structure.replicas, version: structure.version, bases: structure.bases, clock: structure.clock, sequences: structure.sequences }
}

function readStructure (reader, blocks, nested) {
  const magic = reader.take(4, 'snapshot magic')
  if (!MAGIC.every((byte, index) => magic[index] === byte)) throw new WireError('not a Zinc document snapshot')
  const format = reader.byte('snapshot version')
  if (format !== 2) throw new WireError(`snapshot version ${format} (this client reads version 2)`)
  const replicaCount = reader.count('snapshot replicas', 16)
  const replicas = []
  const seen = new Set()
  for (let index = 0; index < replicaCount; index++) {
    const replica = reader.id('snapshot replica')
    if (seen.has(replica)) throw new WireError(`snapshot names replica ${replica} twice`)
    seen.add(replica)
    replicas.push(replica)
  }
  const version = replicas.map((_, index) => reader.small(MAX_COUNTER, `snapshot version of replica ${index}`))
  const bases = replicas.map((_, index) => {
    const base = reader.small(MAX_COUNTER, `log base of replica ${index}`)
    if (base > version[index]) throw new WireError(`log base beyond the version of replica ${index}`)
    return base
  })
  const clock = reader.small(LAMPORT_CEILING - 1, 'snapshot Lamport time')
  const containerCount = reader.count('snapshot containers', 2)
  const containers = []
  const keys = new Set()
  for (let index = 0; index < containerCount; index++) {
    const container = readContainerID(reader)
    const key = containerKey(container)
    if (keys.has(key)) throw new WireError(`snapshot names container ${key} twice`)
    keys.add(key)
    containers.push(container)
  }
  const replicaIndex = what => reader.small(replicaCount - 1, what)
  const itemRef = what => ({ replica: replicaIndex(`${what} replica`), counter: reader.small(MAX_COUNTER, `${what} counter`) })
  const sequences = new Map()
  const fills = []
  for (const container of containers) {
    switch (container.type) {
      case 'text':
      case 'list': {
        const runs = readRuns(reader, replicaCount)
        const visibleCount = runs.reduce((sum, run) => sum + (run.deleted ? 0 : run.length), 0)
        let visible
        if (container.type === 'text') {
          visible = readBlock(reader, blocks, 'text')
        } else {
          if (visibleCount > reader.remaining) throw new WireError(`list of ${visibleCount} elements`)
          visible = Array.from({ length: visibleCount }, () => readListElement(reader))
        }
        const entries = readDeletedEntries(reader, replicaCount)
        const keptCount = entries.reduce((sum, entry) => sum + entry.length, 0)
        let kept
        if (container.type === 'text') {
          kept = readBlock(reader, blocks, 'deleted text')
        } else {
          if (keptCount > reader.remaining) throw new WireError(`${keptCount} deleted list elements`)
          kept = Array.from({ length: keptCount }, () => readListElement(reader))
        }
        const sequence = { container, items: [], index: new ItemIndex(), visibleCount: 0 }
        sequences.set(containerKey(container), sequence)
        fills.push(() => {
          const visibleContent = container.type === 'text' ? scalarsOf(visible.bytes, 'text') : visible
          const keptContent = container.type === 'text' ? scalarsOf(kept.bytes, 'deleted text') : kept
          Object.assign(sequence, buildItems(runs, visibleContent, entries, keptContent))
        })
        break
      }
      case 'map': {
        const count = reader.count('map entries', 5)
        for (let index = 0; index < count; index++) {
          reader.string('map key'); readMapValue(reader); reader.small(LAMPORT_CEILING - 1, 'map entry lamport'); itemRef('map entry op')
        }
        break
      }
      case 'register': {
        const tag = reader.byte('register tag')
        if (tag === 1) { readValue(reader); reader.small(LAMPORT_CEILING - 1, 'register lamport'); itemRef('register op') } else if (tag !== 0) throw new WireError(`register tag ${tag}`)
        break
      }
      case 'multiValueRegister': {
        const count = reader.count('register values', 3)
        for (let index = 0; index < count; index++) { itemRef('register value op'); readValue(reader) }
        break
      }
      case 'counter': {
        const count = reader.count('counter contributions', 2)
        const named = new Set()
        for (let index = 0; index < count; index++) {
          const replica = replicaIndex('counter contribution replica')
          if (named.has(replica)) throw new WireError(`counter names replica ${replica} twice`)
          named.add(replica)
          reader.svarint('counter contribution')
        }
        break
      }
      case 'set': {
        const count = reader.count('set elements', 2)
        for (let index = 0; index < count; index++) {
          readValue(reader)
          const tags = reader.count('set tags', 2)
          for (let tag = 0; tag < tags; tag++) itemRef('set tag')
        }
        break
      }
    }
  }
  const types = containers.map(container => container.type)
  for (let index = 0; index < replicaCount; index++) fills.push(readLog(reader, blocks, bases[index], version[index], types, replicaCount))
  const historyBase = reader.bytesValue('history base')
  if (nested && historyBase.length > 0) throw new WireError('a history base holds a history base')
  if (!nested && historyBase.length === 0 && bases.some(base => base > 0)) throw new WireError('a trimmed history without its base state')
  reader.expectEnd('snapshot')
  return { replicas, version, bases, clock, containers, sequences, fills, historyBase }
}

/** The history base (§8): a version-2 snapshot at the floor, whose texts and lists are empty. */
async function validateHistoryBase (structure) {
  const reader = new Reader(structure.historyBase)
  const state = reader.bytesValue('history base state')
  const entries = reader.count('history base deleted entries', 19)
  for (let index = 0; index < entries; index++) {
    readContainerID(reader); reader.id('deleted replica'); reader.small(MAX_COUNTER, 'deleted start'); reader.small(MAX_ITEMS, 'deleted length')
  }
  reader.expectEnd('history base')
  const floor = await decodeSnapshot(state, true)
  for (const sequence of floor.sequences.values()) if (sequence.items.length > 0) throw new WireError('the history base holds sequence items')
  const expected = new Map()
  structure.replicas.forEach((replica, index) => { if (structure.bases[index] > 0) expected.set(replica, structure.bases[index]) })
  const actual = new Map()
  floor.replicas.forEach((replica, index) => { if (floor.version[index] > 0) actual.set(replica, floor.version[index]) })
  if (expected.size !== actual.size || [...expected].some(([replica, count]) => actual.get(replica) !== count)) {
    throw new WireError('the history base is not the state where the logs start')
  }
}

function readListElement (reader) {
  const tag = reader.byte('list element tag')
  if (tag === 0) return { value: readValue(reader) }
  if (tag === 1) {
    const type = CONTAINER_TYPES[reader.byte('list container type') - 1]
    if (type === undefined) throw new WireError('list container type')
    return { container: type }
  }
  throw new WireError(`list element tag ${tag}`)
}

/** `block` (§8): raw, or zlib when that was smaller; inflated later, asynchronously. */
function readBlock (reader, blocks, what) {
  const size = reader.small(MAX_BYTES, `${what} size`)
  const compressedSize = reader.small(MAX_BYTES, `compressed ${what} size`)
  const block = compressedSize === 0
    ? { size, compressed: false, raw: reader.take(size, what) }
    : { size, compressed: true, raw: reader.take(compressedSize, `compressed ${what}`) }
  blocks.push(block)
  return block
}

async function inflate (bytes, size) {
  if (typeof DecompressionStream === 'undefined') throw new WireError('this platform cannot inflate zlib blocks')
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))
  const chunks = []
  let total = 0
  try {
    for await (const chunk of stream) {
      total += chunk.length
      if (total > size) throw new WireError('zlib block inflates past its size')
      chunks.push(chunk)
    }
  } catch (error) {
    if (error instanceof WireError) throw error
    throw new WireError(`zlib block does not inflate: ${error.message}`)
  }
  if (total !== size) throw new WireError(`zlib block inflates to ${total} bytes, not ${size}`)
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) { out.set(chunk, offset); offset += chunk.length }
  return out
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
function scalarsOf (bytes, what) {
  try {
    return Array.from(utf8.decode(bytes))
  } catch {
    throw new WireError(`${what}: not valid UTF-8`)
  }
}

function readDeletedEntries (reader, replicaCount) {
  const count = reader.count('deleted content entries', 5)
  const entries = []
  const ends = new Map()
  let total = 0
  for (let index = 0; index < count; index++) {
    const replica = reader.small(replicaCount - 1, 'deleted content replica')
    const start = reader.small(MAX_COUNTER, 'deleted content start')
    const length = reader.small(MAX_ITEMS, 'deleted content length')
    reader.small(replicaCount - 1, 'deleter replica')
    reader.small(MAX_COUNTER, 'deleter counter')
    if (length === 0 || length > MAX_COUNTER - start) throw new WireError('deleted content entry out of range')
    if (start < (ends.get(replica) ?? 0)) throw new WireError('deleted content entries out of order')
    ends.set(replica, start + length)
    total += length
    if (total > MAX_ITEMS) throw new WireError(`${total} deleted items`)
    entries.push({ replica, start, length })
  }
  return entries
}

function readRuns (reader, replicaCount) {
  const count = reader.count('sequence runs')
  const runs = []
  let fixNext = null
  let items = 0
  for (let index = 0; index < count; index++) {
    const head = reader.varint('run head')
    const flags = Number(head & 63n)
    const length = head >> 6n > BigInt(MAX_ITEMS) ? MAX_ITEMS + 1 : Number(head >> 6n)
    if (length === 0) throw new WireError('run of 0 items')
    items += length
    if (items > MAX_ITEMS) throw new WireError(`sequence of more than ${MAX_ITEMS} items`)
    const previous = runs[runs.length - 1]
    let run
    if (flags & RUN_CONTINUES) {
      if (previous === undefined) throw new WireError('first run continues nothing')
      run = { replica: previous.replica, counter: previous.counter + previous.length, left: { replica: previous.replica, counter: previous.counter + previous.length - 1 }, right: previous.right, length, deleted: (flags & RUN_DELETED) !== 0 }
      if (run.counter > MAX_COUNTER - length) throw new WireError('run counter out of range')
    } else {
      const previousEnd = previous === undefined ? 0 : previous.counter + previous.length
      const replica = reader.small(replicaCount - 1, 'run replica')
      const counter = previousEnd + reader.smallSigned(2 ** 53, 'run counter')
      if (counter < 0 || counter > MAX_COUNTER - length) throw new WireError('run counter out of range')
      let left = null
      if (flags & RUN_LEFT_PREVIOUS) {
        if (previous === undefined) throw new WireError('first run has no previous item')
        left = { replica: previous.replica, counter: previous.counter + previous.length - 1 }
      } else if ((flags & RUN_LEFT_NONE) === 0) {
        const leftReplica = reader.small(replicaCount - 1, 'run left replica')
        const leftCounter = counter - reader.smallSigned(2 ** 53, 'run left counter')
        if (leftCounter < 0 || leftCounter > MAX_COUNTER) throw new WireError('run left origin out of range')
        left = { replica: leftReplica, counter: leftCounter }
      }
      let right = null
      if ((flags & RUN_RIGHT_NONE) === 0 && (flags & RUN_RIGHT_NEXT) === 0) {
        const rightReplica = reader.small(replicaCount - 1, 'run right replica')
        const rightCounter = counter + reader.smallSigned(2 ** 53, 'run right counter')
        if (rightCounter < 0 || rightCounter > MAX_COUNTER) throw new WireError('run right origin out of range')
        right = { replica: rightReplica, counter: rightCounter }
      }
      run = { replica, counter, left, right, length, deleted: (flags & RUN_DELETED) !== 0 }
    }
    if (fixNext !== null) { fixNext.right = { replica: run.replica, counter: run.counter }; fixNext = null }
    if ((flags & RUN_RIGHT_NEXT) && (flags & RUN_CONTINUES) === 0) fixNext = run
    runs.push(run)
  }
  if (fixNext !== null) throw new WireError("last run's right origin is the next run")
  return runs
}

/**
 * Items from runs and content, every origin resolved to an item of the same sequence: a left
 * origin created before its item (origins precede their items in document order), a right one
 * after it. Returns `{ items, index, visibleCount }`.
 */
function buildItems (runs, visible, entries, kept) {
  const visibleCount = runs.reduce((sum, run) => sum + (run.deleted ? 0 : run.length), 0)
  if (visibleCount !== visible.length) throw new WireError(`runs name ${visibleCount} visible items, the content has ${visible.length}`)
  if (entries.reduce((sum, entry) => sum + entry.length, 0) !== kept.length) throw new WireError('deleted content and its entries disagree')
  const keptByID = new Map()
  let offset = 0
  for (const entry of entries) {
    let counters = keptByID.get(entry.replica)
    if (counters === undefined) { counters = new Map(); keptByID.set(entry.replica, counters) }
    for (let unit = 0; unit < entry.length; unit++) counters.set(entry.start + unit, kept[offset++])
  }
  const items = []
  const index = new ItemIndex()
  let next = 0
  for (const run of runs) {
    const keptHere = keptByID.get(run.replica)
    for (let unit = 0; unit < run.length; unit++) {
      const counter = run.counter + unit
      if (index.has(run.replica, counter)) throw new WireError(`item ${run.replica}:${counter} appears twice`)
      let left = null
      if (unit > 0) {
        left = items[items.length - 1]
      } else if (run.left !== null) {
        left = index.get(run.left.replica, run.left.counter)
        if (left === undefined) throw new WireError(`the left origin of item ${run.replica}:${counter} is not before it in its sequence`)
      }
      // A right origin must come later: it may not exist yet.
      if (run.right !== null && index.has(run.right.replica, run.right.counter)) throw new WireError(`the right origin of item ${run.replica}:${counter} is before it`)
      const item = {
        replica: run.replica, counter, left, right: run.right, deleted: run.deleted,
        content: run.deleted ? (keptHere?.get(counter) ?? null) : visible[next++]
      }
      items.push(item)
      index.set(item)
    }
  }
  for (const item of items) {
    if (item.right === null) continue
    const origin = index.get(item.right.replica, item.right.counter)
    if (origin === undefined) throw new WireError(`the right origin of item ${item.replica}:${item.counter} is not in its sequence`)
    item.right = origin
  }
  return { items, index, visibleCount }
}

/** Reads and validates one replica's log; returns the check of its transaction sizes. */
function readLog (reader, blocks, base, expected, types, replicaCount) {
  const runCount = reader.count('log runs', 2)
  let counter = base
  let previous = null
  let deleteUnits = 0
  let payloadUnits = 0
  const deleteRuns = []
  const payloadRuns = []
  for (let index = 0; index < runCount; index++) {
    const head = reader.byte('log run head')
    const kind = head & 7
    if (kind > 6 || (head & 0xe0) !== 0) throw new WireError(`log run head ${head}`)
    const length = reader.small(0xffffffff, 'log run length')
    if (length === 0) throw new WireError('empty log run')
    let container
    if (head & 8) {
      if (previous === null) throw new WireError('first log run has no previous container')
      container = previous.container
    } else {
      container = reader.small(types.length - 1, 'log run container')
    }
    const type = types[container]
    const fits = kind <= 1 ? type === 'text' || type === 'list' : kind === 2 ? type === 'map' : kind === 3 ? type === 'register' || type === 'multiValueRegister' : kind === 4 ? type === 'counter' : type === 'set'
    if (!fits) throw new WireError(`log run of kind ${kind} on a ${type}`)
    let lamport
    if (head & 16) {
      if (previous === null) throw new WireError('first log run continues no Lamport time')
      lamport = previous.lamport + previous.length
    } else {
      lamport = counter + reader.smallSigned(2 ** 53, 'log run lamport')
    }
    if (lamport < 0 || lamport >= LAMPORT_CEILING) throw new WireError(`log run Lamport time ${lamport} beyond 2^53`)
    const run = { counter, lamport, length, container, kind }
    if (kind === 1) { run.firstUnit = deleteUnits; deleteUnits += length; deleteRuns.push(run) }
    if (kind >= 2) { payloadUnits += length; payloadRuns.push(run) }
    previous = run
    counter += length
    if (counter > expected) throw new WireError('log holds more operations than the version vector')
  }
  if (counter !== expected) throw new WireError(`log holds operations up to ${counter}, version vector says ${expected}`)
  const spanCount = reader.count('delete spans', 2)
  let spanUnits = 0
  let deleteRun = 0
  let running = deleteRuns[0]?.counter ?? 0
  const spanStarts = new Set([0])
  for (let index = 0; index < spanCount; index++) {
    const raw = reader.varint('delete span')
    const length = raw >> 2n > BigInt(deleteUnits) ? deleteUnits + 1 : Number(raw >> 2n)
    if (length === 0) throw new WireError('empty delete span')
    if (length > deleteUnits - spanUnits) throw new WireError('delete spans exceed the delete runs')
    if ((raw & 1n) === 0n) reader.small(replicaCount - 1, 'delete span replica')
    const start = running - reader.smallSigned(2 ** 53, 'delete span start')
    running += length
    if (deleteRun < deleteRuns.length && running >= deleteRuns[deleteRun].counter + deleteRuns[deleteRun].length) {
      deleteRun += 1
      if (deleteRun < deleteRuns.length) running = deleteRuns[deleteRun].counter
    }
    const descending = (raw & 2n) !== 0n
    if (start < 0 || start > MAX_COUNTER || (descending ? start < length - 1 : length > MAX_COUNTER - start)) throw new WireError('delete span out of range')
    spanUnits += length
    spanStarts.add(spanUnits)
  }
  if (spanUnits !== deleteUnits) throw new WireError(`delete spans cover ${spanUnits} items, delete runs ${deleteUnits}`)
  for (const run of deleteRuns) if (!spanStarts.has(run.firstUnit)) throw new WireError('a delete run starts inside a span')
  const sizes = readBlock(reader, blocks, 'transaction sizes')
  const checkSizes = () => {
    const sizeReader = new Reader(sizes.bytes)
    let end = base
    while (!sizeReader.atEnd) end += sizeReader.small(MAX_COUNTER, 'transaction size')
    if (end > expected) throw new WireError('transaction sizes beyond the log')
  }
  const payloadCount = reader.count('payloads', 2)
  if (payloadCount !== payloadUnits) throw new WireError(`${payloadCount} payloads for ${payloadUnits} operations`)
  const tags = () => { const count = reader.count('payload references', 2); for (let index = 0; index < count; index++) { reader.small(replicaCount - 1, 'reference replica'); reader.small(MAX_COUNTER, 'reference counter') } }
  const payloadKinds = []
  for (let index = 0; index < payloadCount; index++) {
    const tag = reader.byte('payload tag')
    switch (tag) {
      case 0: reader.string('payload key'); readMapValue(reader); break
      case 1: readValue(reader); tags(); break
      case 2: reader.svarint('payload delta'); break
      case 3: readValue(reader); break
      case 4: readValue(reader); tags(); break
      default: throw new WireError(`payload tag ${tag}`)
    }
    payloadKinds.push(tag + 2)
  }
  let payload = 0
  for (const run of payloadRuns) {
    for (let unit = 0; unit < run.length; unit++) if (payloadKinds[payload++] !== run.kind) throw new WireError(`payload does not match its run of kind ${run.kind}`)
  }
  return checkSizes
}
