// A replica of one Zinc document for a JavaScript client (docs/protocol.md §6–§7, §11): texts
// and lists as FugueMax sequences, every operation's identity and Lamport time, the version
// vector and its digest, causal holding of early operations, and fragments both ways.
//
// Maps, registers, counters and sets are carried, not interpreted: their operations are checked,
// counted in the version vector and relayed like any other, so a text editor in a browser is a
// full member of the tree for every document it opens.
import { WireError } from './wire.mjs'
import { decodeFragment, encodeFragment, containerKey, opLength, MAIN_TEXT, MAX_COUNTER, REMOTE_LAMPORT_CEILING } from './fragment.mjs'
import { Sequence } from './sequence.mjs'

/** Local Lamport times stay below 2^53 (§7). */
const LOCAL_LAMPORT_CEILING = 2 ** 53
const MAX_PENDING = 1 << 20

/** Why an edit cannot be made. */
export class DocumentError extends Error {}

const U64 = (1n << 64n) - 1n
function mix (value) {
  let z = (value + 0x9e3779b97f4a7c15n) & U64
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & U64
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & U64
  return z ^ (z >> 31n)
}

/** The digest of §3 over `[replica, count]` pairs (order does not matter). */
export function versionDigest (entries) {
  let sum = 0n
  for (const [replica, count] of entries) {
    const hex = replica.replaceAll('-', '')
    const high = BigInt('0x' + hex.slice(0, 16))
    const low = BigInt('0x' + hex.slice(16))
    sum = (sum + mix(mix(high ^ mix(low)) ^ BigInt(count))) & U64
  }
  return sum
}

/** A random replica or node ID (RFC 4122 version 4). */
export function randomID () {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = Array.from(bytes, byte => byte.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const SEQUENCE_TYPES = new Set(['text', 'list'])
const BODY_TYPES = { mapSet: 'map', counterAdd: 'counter', setAdd: 'set', setRemove: 'set' }

export class TextDocument {
  /** `replica`: this replica's ID (a UUID string); a fresh one unless restoring. */
  constructor ({ replica = randomID() } = {}) {
    this.replica = replica
    this.replicas = []
    this.replicaIndex = new Map()
    this.version = []
    this.clock = 0
    this.sequences = new Map()
    /** Operations held (absolute form), per replica index, in counter order. */
    this.records = []
    this.pending = []
    this.outgoing = []
    this.rejected = 0
    this.indexOf(replica)
  }

  indexOf (replica) {
    let index = this.replicaIndex.get(replica)
    if (index === undefined) {
      index = this.replicas.length
      this.replicas.push(replica)
      this.replicaIndex.set(replica, index)
      this.version.push(0)
      this.records.push([])
    }
    return index
  }

  held (replica) { const index = this.replicaIndex.get(replica); return index === undefined ? 0 : this.version[index] }

  /** The version vector: replica ID → operations held (replicas with none left out). */
  get versionVector () {
    const vector = {}
    this.replicas.forEach((replica, index) => { if (this.version[index] > 0) vector[replica] = BigInt(this.version[index]) })
    return vector
  }

  /** The sum of the version vector's counts. */
  get operationCount () { return this.version.reduce((sum, count) => sum + count, 0) }

  get digest () { return versionDigest(this.replicas.map((replica, index) => [replica, this.version[index]]).filter(([, count]) => count > 0)) }

  sequence (container, create = false) {
    const key = containerKey(container)
    let sequence = this.sequences.get(key)
    if (sequence === undefined && create) {
      sequence = new Sequence(container)
      this.sequences.set(key, sequence)
    }
    return sequence
  }

  /** A text container's content. */
  text (container = MAIN_TEXT) {
    const sequence = this.sequence(container)
    return sequence === undefined ? '' : sequence.text()
  }

  /** A text's length in Unicode scalars. */
  length (container = MAIN_TEXT) { return this.sequence(container)?.visibleCount ?? 0 }

  // MARK: - Local edits

  nextLamport (length) {
    const lamport = this.clock + 1
    if (lamport + length > LOCAL_LAMPORT_CEILING) throw new DocumentError('limitExceeded: Lamport time past 2^53')
    const counter = this.version[0]
    if (counter + length - 1 > MAX_COUNTER) throw new DocumentError('limitExceeded: counters past 2^40 − 2')
    return { counter, lamport }
  }

  commitLocal (op) {
    const length = opLength(op)
    this.version[0] = op.counter + length
    this.clock = op.lamport + length - 1
    this.records[0].push(op)
    this.outgoing.push(op)
  }

  /** Inserts `text` at Unicode-scalar `position` of a text. */
  insert (position, text, container = MAIN_TEXT) {
    const scalars = Array.from(text)
    if (scalars.length === 0) return
    const sequence = this.sequence(container, true)
    if (!Number.isInteger(position) || position < 0 || position > sequence.visibleCount) {
      throw new DocumentError(`insert position ${position} outside 0…${sequence.visibleCount}`)
    }
    const { counter, lamport } = this.nextLamport(scalars.length)
    const { left, right, index } = sequence.localOrigins(position)
    const items = []
    for (const [offset, content] of scalars.entries()) {
      items.push({ replica: 0, counter: counter + offset, left: offset === 0 ? left : items[offset - 1], right, deleted: false, content })
    }
    sequence.place(index, items)
    this.commitLocal({
      replica: this.replica, counter, lamport, container,
      body: { kind: 'insert', left: this.reference(left), right: this.reference(right), pieces: [], text }
    })
  }

  /** Deletes `length` Unicode scalars of a text from `position`. */
  delete (position, length, container = MAIN_TEXT) {
    if (length === 0) return
    const sequence = this.sequence(container, true)
    if (!Number.isInteger(position) || !Number.isInteger(length) || position < 0 || length < 0 || position + length > sequence.visibleCount) {
      throw new DocumentError(`delete ${position}…${position + length} outside 0…${sequence.visibleCount}`)
    }
    const { counter, lamport } = this.nextLamport(length)
    const doomed = []
    for (let index = sequence.indexOfVisible(position); doomed.length < length; index++) {
      if (!sequence.items[index].deleted) doomed.push(sequence.items[index])
    }
    const spans = []
    for (const item of doomed) {
      const last = spans[spans.length - 1]
      if (last !== undefined && last.replica === item.replica) {
        const next = last.descending ? last.start - last.length : last.start + last.length
        if (last.length === 1 && item.counter === last.start - 1) { last.descending = true; last.length = 2; continue }
        if (item.counter === next) { last.length += 1; continue }
      }
      spans.push({ replica: item.replica, start: item.counter, length: 1, descending: false })
    }
    sequence.removeAll(doomed)
    this.commitLocal({
      replica: this.replica, counter, lamport, container,
      body: { kind: 'delete', spans: spans.map(span => ({ start: { replica: this.replicas[span.replica], counter: span.start }, length: span.length, descending: span.descending })) }
    })
  }

  reference (item) { return item === null ? null : { replica: this.replicas[item.replica], counter: item.counter } }

  /** The local operations made since the last call, as one fragment (author implied), or null. */
  takeLocalFragment () {
    if (this.outgoing.length === 0) return null
    const fragment = this.encode(this.outgoing, true)
    this.outgoing = []
    return fragment
  }

  // MARK: - Fragments out

  /**
   * Encodes absolute operations as a fragment; with `authorImplied` this replica's ID is left
   * to the envelope's origin (a delta), otherwise the fragment stands alone (a sync reply).
   */
  encode (ops, authorImplied) {
    const replicas = authorImplied ? [this.replica] : []
    const replicaIndex = new Map(replicas.map((replica, index) => [replica, index]))
    const containers = []
    const containerIndex = new Map()
    const replicaOf = replica => {
      let index = replicaIndex.get(replica)
      if (index === undefined) { index = replicas.length; replicas.push(replica); replicaIndex.set(replica, index) }
      return index
    }
    const containerOf = container => {
      const key = containerKey(container)
      let index = containerIndex.get(key)
      if (index === undefined) { index = containers.length; containers.push(container); containerIndex.set(key, index) }
      return index
    }
    const ref = value => value === null ? null : { replica: replicaOf(value.replica), counter: value.counter }
    const refs = list => list.map(ref)
    const encoded = ops.map(op => {
      const replica = replicaOf(op.replica)
      const container = containerOf(op.container)
      const body = { ...op.body }
      switch (body.kind) {
        case 'insert': body.left = ref(body.left); body.right = ref(body.right); break
        case 'delete': body.spans = body.spans.map(span => ({ ...span, start: ref(span.start) })); break
        case 'registerSet': body.supersedes = refs(body.supersedes); break
        case 'setRemove': body.observed = refs(body.observed); break
      }
      return { replica, counter: op.counter, lamport: op.lamport, container, body }
    })
    return encodeFragment({ replicas, containers, ops: encoded }, authorImplied ? this.replica : null)
  }

  /**
   * The operations held beyond `since` (replica ID → count, as numbers or BigInts), in Lamport
   * order so that dependencies come first, as one self-contained fragment (author not implied,
   * as a sync reply carries it); null if there are none. Operations
   * this replica learned only as a snapshot's state are not among them (another member of the
   * tree holds them as operations).
   */
  fragmentSince (since) {
    const selected = []
    this.replicas.forEach((replica, index) => {
      const from = Number(since[replica] ?? 0)
      for (const op of this.records[index]) {
        const length = opLength(op)
        if (op.counter + length <= from) continue
        selected.push(op.counter < from ? trimmed(op, from - op.counter) : op)
      }
    })
    if (selected.length === 0) return null
    selected.sort((a, b) => a.lamport - b.lamport || (a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : a.counter - b.counter))
    return this.encode(selected, false)
  }

  // MARK: - Snapshots

  /**
   * Merges a snapshot decoded by snapshot.mjs (which it takes over): the document takes the
   * snapshot's state, then every operation held here that the snapshot lacks is applied again
   * on top, so nothing this replica held is lost. The caller should treat the result as a new
   * text (the changes returned are those of the re-applied operations, after the reset).
   */
  loadSnapshot (snapshot) {
    const previous = { records: this.records, pending: this.pending }
    this.replicas = []
    this.replicaIndex = new Map()
    this.version = []
    this.records = []
    this.pending = []
    this.sequences = new Map()
    this.indexOf(this.replica)
    const table = snapshot.replicas.map(replica => this.indexOf(replica))
    snapshot.version.forEach((count, index) => { this.version[table[index]] = count })
    this.clock = Math.max(this.clock, snapshot.clock)
    for (const [key, { container, items, index, visibleCount }] of snapshot.sequences) {
      for (const item of items) item.replica = table[item.replica]
      const sequence = new Sequence(container)
      sequence.adopt(items, index.renumbered(table), visibleCount)
      this.sequences.set(key, sequence)
    }
    const changes = []
    for (const ops of previous.records) for (const op of ops) this.receive(op, changes)
    for (const op of previous.pending) this.receive(op, changes)
    this.drainPending(changes)
    return changes
  }

  // MARK: - Fragments in

  /**
   * Applies a fragment from the tree. Throws WireError (and changes nothing) if it does not
   * decode; otherwise returns the visible changes, per text, as
   * `{ container, position, inserted }` or `{ container, position, deleted }` in order.
   */
  applyFragment (bytes, author = null) {
    const fragment = decodeFragment(bytes, author)
    const changes = []
    for (const op of fragment.ops) this.receive(resolve(op, fragment), changes)
    this.drainPending(changes)
    return changes
  }

  receive (op, changes) {
    const status = this.status(op)
    if (status === 'held') return
    if (status === 'missing') {
      if (this.pending.length < MAX_PENDING) this.pending.push(op)
      return
    }
    const held = this.held(op.replica)
    const fresh = op.counter < held ? trimmed(op, held - op.counter) : op
    if (!this.integrate(fresh, changes)) { this.rejected += 1; return }
    const index = this.indexOf(op.replica)
    const length = opLength(fresh)
    this.version[index] = fresh.counter + length
    this.clock = Math.max(this.clock, fresh.lamport + length - 1) + 1
    this.records[index].push(fresh)
  }

  drainPending (changes) {
    let progress = true
    while (progress && this.pending.length > 0) {
      progress = false
      const waiting = this.pending
      this.pending = []
      for (const op of waiting) {
        const status = this.status(op)
        if (status === 'missing') { this.pending.push(op); continue }
        progress = true
        this.receive(op, changes)
      }
    }
  }

  /** 'held' (nothing new), 'missing' (a dependency is not here yet) or 'ready'. */
  status (op) {
    const held = this.held(op.replica)
    if (op.counter + opLength(op) <= held) return 'held'
    if (op.counter > held) return 'missing'
    const needs = []
    const body = op.body
    if (body.kind === 'insert') needs.push(body.left, body.right)
    if (body.kind === 'delete') {
      for (const span of body.spans) {
        needs.push(span.start, { replica: span.start.replica, counter: span.descending ? span.start.counter - span.length + 1 : span.start.counter + span.length - 1 })
      }
    }
    if (body.kind === 'registerSet') needs.push(...body.supersedes)
    if (body.kind === 'setRemove') needs.push(...body.observed)
    for (const ref of needs) if (ref !== null && !(ref.counter >= 0 && ref.counter < this.held(ref.replica))) return 'missing'
    return 'ready'
  }

  /** Applies a ready operation; false if it is invalid (refused, nothing changed). */
  integrate (op, changes) {
    const body = op.body
    const expected = BODY_TYPES[body.kind]
    if (expected !== undefined) return op.container.type === expected
    if (body.kind === 'registerSet') return op.container.type === 'register' || op.container.type === 'multiValueRegister'
    if (!SEQUENCE_TYPES.has(op.container.type)) return false
    if (body.kind === 'insert' && (body.text !== undefined) !== (op.container.type === 'text')) return false
    const sequence = this.sequence(op.container, true)
    const find = ref => ref === null ? null : (sequence.item(this.replicaIndex.get(ref.replica), ref.counter) ?? undefined)
    return body.kind === 'insert' ? this.integrateInsert(op, sequence, find, changes) : this.integrateDelete(op, sequence, find, changes)
  }

  integrateInsert (op, sequence, find, changes) {
    const left = find(op.body.left)
    const right = find(op.body.right)
    if (left === undefined || right === undefined) return false
    const replica = this.indexOf(op.replica)
    const contents = op.body.text !== undefined ? Array.from(op.body.text) : op.body.list
    const pieces = op.body.pieces.length > 0 ? op.body.pieces : [{ count: contents.length, deleted: false }]
    const items = []
    let next = 0
    for (const piece of pieces) {
      for (let unit = 0; unit < piece.count; unit++) {
        items.push({ replica, counter: op.counter + items.length, left: items.length === 0 ? left : items[items.length - 1], right, deleted: piece.deleted, content: piece.deleted ? null : contents[next++] })
      }
    }
    let destination
    try {
      destination = sequence.destination(items[0], left, right, (a, b) => this.replicas[a] < this.replicas[b])
    } catch (error) {
      if (error instanceof RangeError) return false
      throw error
    }
    sequence.place(destination, items)
    if (next > 0) {
      const firstVisible = items.find(item => !item.deleted)
      changes.push({ container: op.container, position: sequence.visiblePosition(firstVisible), inserted: op.body.text !== undefined ? contents.join('') : contents })
    }
    return true
  }

  integrateDelete (op, sequence, find, changes) {
    const targets = []
    for (const span of op.body.spans) {
      for (let offset = 0; offset < span.length; offset++) {
        const item = find({ replica: span.start.replica, counter: span.descending ? span.start.counter - offset : span.start.counter + offset })
        if (item === undefined || item === null) return false
        targets.push(item)
      }
    }
    for (const range of sequence.removeAll(targets)) changes.push({ container: op.container, ...range })
    return true
  }
}

/** A fragment's op with its table references replaced by replica IDs and container IDs. */
function resolve (op, fragment) {
  const replicaOf = index => fragment.replicas[index]
  const ref = value => value === null ? null : { replica: replicaOf(value.replica), counter: value.counter }
  const body = { ...op.body }
  switch (body.kind) {
    case 'insert': body.left = ref(body.left); body.right = ref(body.right); break
    case 'delete': body.spans = body.spans.map(span => ({ ...span, start: ref(span.start) })); break
    case 'registerSet': body.supersedes = body.supersedes.map(ref); break
    case 'setRemove': body.observed = body.observed.map(ref); break
  }
  return { replica: replicaOf(op.replica), counter: op.counter, lamport: op.lamport, container: fragment.containers[op.container], body }
}

/** `op` without its first `skip` units (already held): what is left of an insert or delete. */
function trimmed (op, skip) {
  const body = op.body
  if (body.kind === 'insert') {
    const contents = body.text !== undefined ? Array.from(body.text) : body.list
    const pieces = body.pieces.length > 0 ? body.pieces : [{ count: contents.length, deleted: false }]
    const kept = []
    let skipped = 0
    let visibleSkipped = 0
    for (const piece of pieces) {
      const drop = Math.min(piece.count, skip - skipped)
      skipped += drop
      if (!piece.deleted) visibleSkipped += drop
      if (piece.count > drop) kept.push({ count: piece.count - drop, deleted: piece.deleted })
    }
    const rest = contents.slice(visibleSkipped)
    const allVisible = kept.every(piece => !piece.deleted)
    return {
      ...op, counter: op.counter + skip, lamport: op.lamport + skip,
      body: { ...body, left: { replica: op.replica, counter: op.counter + skip - 1 }, pieces: allVisible ? [] : kept, ...(body.text !== undefined ? { text: rest.join('') } : { list: rest }) }
    }
  }
  if (body.kind === 'delete') {
    const spans = []
    let skipped = 0
    for (const span of body.spans) {
      const drop = Math.min(span.length, skip - skipped)
      skipped += drop
      if (span.length === drop) continue
      const start = span.descending ? span.start.counter - drop : span.start.counter + drop
      spans.push({ ...span, start: { replica: span.start.replica, counter: start }, length: span.length - drop })
    }
    return { ...op, counter: op.counter + skip, lamport: op.lamport + skip, body: { ...body, spans } }
  }
  throw new WireError(`an op of length 1 cannot be partly held (${body.kind})`)
}

export { REMOTE_LAMPORT_CEILING }
