// Zinc for browsers and Node: a client of a Zinc tree through a node's WebSocket gateway
// (docs/protocol.md §23, docs/web.md). The client is a child of that node like any other: its
// own node and replica IDs, heartbeats with digests, the three-message sync, transfers,
// presence, and an outbox that resends its own edits after every reconnection, to the same
// gateway or the next one given.
//
//   import { connect } from './zinc.mjs'
//   const client = await connect(['ws://a:8080/zinc', 'ws://b:8080/zinc'], { name: 'Ada' })
//   const doc = await client.document('notes')
//   doc.insert(0, 'hello')                 // positions count Unicode scalars
//   doc.onChange(event => render(doc.text()))
//   doc.setPresence({ cursor: 5 })
//   client.close()
import { readMessage, writeMessage, readBeacon, readGatewayFrame, writeGatewayFrame, writeTopic, WireError } from './wire.mjs'
import './presence.mjs'
import { TextDocument, DocumentError, randomID } from './document.mjs'
import { decodeSnapshot } from './snapshot.mjs'
import { MAIN_TEXT } from './fragment.mjs'

export { DocumentError, WireError }

/** Timers of §9, §11, §12, §13 and §17 (milliseconds). */
const HEARTBEAT_INTERVAL = 100
const JOIN_RETRY = 300
const JOIN_TIMEOUT = 2000
const REPAIR_DELAY = 250
const REPAIR_INTERVAL = 500
const PRESENCE_REFRESH = 10_000
const PRESENCE_TIMEOUT = 30_000
const TRANSFER_IDLE = 15_000
const TRANSFER_CHUNK = 256 * 1024
const TRANSFER_WINDOW = 4
const TRANSFER_RESEND = 1000
const TRANSFER_RETRIES = 8
const INLINE_LIMIT = 256 * 1024
/** A parent silent this long is gone (it heartbeats every 100 ms): reconnect elsewhere. */
const PARENT_SILENCE = 3000
const MAX_TRANSFER = 512 * 1024 * 1024
const MAX_TRANSFERS = 16
/** Reconnection backoff: from RECONNECT_MIN doubling to RECONNECT_MAX, with jitter. */
const RECONNECT_MIN = 100
const RECONNECT_MAX = 4000

/** Connection states a client reports to `onState`. */
export const STATES = ['connecting', 'joining', 'joined', 'offline', 'closed']

/**
 * Connects to a tree through one of `urls` (a string or a list: the next is tried when one
 * fails) and resolves once a gateway has welcomed the client; rejects if none has within
 * `options.timeout` ms (the client keeps trying in the background until `close()`).
 *
 * Options: `name`, `color` (`#rrggbb`), `timeout` (10,000 ms), `WebSocket` (a constructor,
 * for runtimes without a global one), `log` (a function for diagnostics).
 */
export async function connect (urls, options = {}) {
  const client = new ZincClient(urls, options)
  try {
    await client.joined(options.timeout ?? 10_000)
  } catch (error) {
    client.close()
    throw error
  }
  return client
}

/** A UTF-16 offset (a textarea's selectionStart) as a Unicode scalar position in `text`. */
export function utf16ToScalar (text, offset) {
  let position = 0
  for (let index = 0; index < offset && index < text.length; index++) {
    const unit = text.charCodeAt(index)
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < offset) index += 1
    position += 1
  }
  return position
}

/** A Unicode scalar position in `text` as a UTF-16 offset. */
export function scalarToUtf16 (text, position) {
  let offset = 0
  for (let seen = 0; seen < position && offset < text.length; seen++) {
    const unit = text.charCodeAt(offset)
    offset += unit >= 0xd800 && unit <= 0xdbff ? 2 : 1
  }
  return offset
}

const now = () => Date.now()
const documentTopic = name => ({ kind: 'document', name })

export class ZincClient {
  constructor (urls, options = {}) {
    this.urls = Array.isArray(urls) ? [...urls] : [urls]
    if (this.urls.length === 0) throw new TypeError('connect needs at least one URL')
    this.options = options
    this.node = randomID()
    this.replica = randomID()
    this.name = options.name ?? 'browser'
    this.color = options.color ?? '#3366ff'
    this.WebSocket = options.WebSocket ?? globalThis.WebSocket
    if (this.WebSocket === undefined) throw new TypeError('no WebSocket: pass options.WebSocket (Node 20: run with --experimental-websocket)')
    this.log = options.log ?? (() => {})
    this.state = 'connecting'
    this.stateListeners = new Set()
    this.documents = new Map()
    this.term = 0n
    this.parent = null
    this.welcome = null
    this.socket = null
    this.urlIndex = 0
    this.failures = 0
    this.closed = false
    this.nextTransfer = 1n
    this.heartbeatTimer = setInterval(() => this.tick(), HEARTBEAT_INTERVAL)
    this.open()
  }

  /** The gateway URL currently in use. */
  get url () { return this.urls[this.urlIndex % this.urls.length] }

  /** Calls `listener(state)` on every change of connection state; returns an unsubscribe. */
  onState (listener) {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
  }

  setState (state) {
    if (this.state === state) return
    this.state = state
    for (const listener of this.stateListeners) listener(state)
  }

  /** Resolves when the client is joined, rejects after `timeout` ms. */
  joined (timeout) {
    if (this.state === 'joined') return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { stop(); reject(new Error(`no Zinc gateway answered within ${timeout} ms (${this.urls.join(', ')})`)) }, timeout)
      const stop = this.onState(state => {
        if (state === 'joined') { clearTimeout(timer); stop(); resolve() }
        if (state === 'closed') { clearTimeout(timer); stop(); reject(new Error('the client was closed')) }
      })
    })
  }

  /**
   * Opens document `id` (a name of 1–255 bytes): resolves with its handle once it is in sync
   * with the tree (or after `timeout` ms, offline, with what this client holds).
   */
  async document (id, { timeout = 5000 } = {}) {
    let entry = this.documents.get(id)
    if (entry === undefined) {
      entry = new DocumentEntry(this, id)
      this.documents.set(id, entry)
      if (this.socket !== null) {
        this.subscribe(writeTopic(documentTopic(id)))
        // A repeated join tells the host of the new interest (§9 step 3).
        if (this.state === 'joined' || this.state === 'joining') this.sendJoin()
      }
    }
    await entry.synced(timeout)
    return entry.handle
  }

  /** Leaves the tree: presence marked leaving, the connection closed, timers stopped. */
  close () {
    if (this.closed) return
    for (const entry of this.documents.values()) entry.sendPresence(true)
    if (this.state === 'joined') this.send({ kind: 'node', node: this.node }, 'leave', { successor: null })
    this.closed = true
    clearInterval(this.heartbeatTimer)
    clearTimeout(this.reconnectTimer)
    this.socket?.close()
    this.socket = null
    this.setState('closed')
  }

  // MARK: - Connection

  open () {
    if (this.closed) return
    const url = this.url
    this.setState(this.failures === 0 ? 'connecting' : 'offline')
    let socket
    try {
      socket = new this.WebSocket(url)
    } catch (error) {
      this.log(`cannot open ${url}: ${error.message}`)
      this.reconnect()
      return
    }
    socket.binaryType = 'arraybuffer'
    this.socket = socket
    this.parent = null
    this.welcome = null
    socket.onopen = () => {
      if (this.socket !== socket) return
      this.joinStarted = now()
      this.setState('joining')
      for (const prefix of this.subscriptions()) this.subscribe(prefix)
    }
    socket.onmessage = event => {
      if (this.socket !== socket) return
      try {
        this.receive(new Uint8Array(event.data))
      } catch (error) {
        // Hostile or corrupt input is dropped, never fatal (§20).
        if (error instanceof WireError) this.log(`dropped a bad message: ${error.message}`)
        else throw error
      }
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.socket = null
      this.reconnect()
    }
    socket.onerror = () => {}
  }

  /** Drops the connection and tries the next URL after a backoff. */
  reconnect () {
    if (this.closed) return
    const socket = this.socket
    this.socket = null
    if (socket !== null) socket.close()
    this.parent = null
    this.welcome = null
    this.failures += 1
    this.urlIndex += 1
    this.setState('offline')
    const delay = Math.min(RECONNECT_MAX, RECONNECT_MIN * 2 ** Math.min(6, this.failures - 1)) * (0.5 + Math.random() / 2)
    clearTimeout(this.reconnectTimer)
    this.reconnectTimer = setTimeout(() => this.open(), delay)
  }

  /** The topics this client hears (§9 step 1): beacons, its own node, tree control, its documents. */
  subscriptions () {
    return [Uint8Array.of(0x57), writeTopic({ kind: 'node', node: this.node }), Uint8Array.of(0x54), ...[...this.documents.keys()].map(id => writeTopic(documentTopic(id)))]
  }

  subscribe (prefix) { this.socket?.send(writeGatewayFrame({ subscribe: prefix })) }

  /** Sends one message up to the parent. `payload` is an object for the codecs, or bytes. */
  send (topic, type, payload, { origin = this.node, lamport = 0n } = {}) {
    const socket = this.socket
    if (socket === null || socket.readyState !== 1) return false
    const header = { type, flags: 0, origin, sender: this.node, lamport: BigInt(lamport), term: this.term }
    const frames = writeMessage({ topic, header, payload, decoded: !(payload instanceof Uint8Array) })
    socket.send(writeGatewayFrame({ frames }))
    return true
  }

  sendJoin () {
    this.send({ kind: 'node', node: this.node }, 'join', {
      endpoints: null, interest: { documents: [...this.documents.keys()] }, subtreeSize: 1n, afterFailover: false
    })
    this.lastJoin = now()
  }

  // MARK: - Receiving

  receive (bytes) {
    const frame = readGatewayFrame(bytes)
    if (!frame.frames) throw new WireError('a gateway sent a subscription')
    if (frame.frames.length === 1) { this.receiveBeacon(readBeacon(frame.frames[0])); return }
    const message = readMessage(frame.frames)
    const { header } = message
    // Only the parent speaks to us (§20).
    if (this.parent === null || header.sender !== this.parent) return
    this.lastHeard = now()
    if (header.term > this.term && header.type !== 'delta' && header.type !== 'presence') this.term = header.term
    switch (header.type) {
      case 'welcome': this.receiveWelcome(message); break
      case 'heartbeat': this.receiveHeartbeat(message.payload); break
      case 'leave':
      case 'redirect':
        // A browser cannot follow a ZeroMQ address: it reconnects through its gateways.
        this.reconnect()
        break
      default: {
        const document = message.topic.kind === 'document' ? message.topic.name : message.payload?.document
        this.documents.get(document)?.receive(message)
      }
    }
  }

  receiveBeacon (beacon) {
    if (this.parent !== null || this.state !== 'joining') return
    this.parent = beacon.node
    this.sendJoin()
  }

  receiveWelcome (message) {
    this.lastHeard = now()
    this.welcome = message.payload
    this.term = message.header.term
    this.failures = 0
    this.setState('joined')
    for (const entry of this.documents.values()) entry.parentJoined()
  }

  receiveHeartbeat (heartbeat) {
    if (this.welcome === null) return
    this.welcome.root = heartbeat.root
    this.welcome.depth = heartbeat.depth + 1n
    for (const digest of heartbeat.digests) this.documents.get(digest.document)?.compareDigest(digest)
  }

  // MARK: - Timers

  tick () {
    if (this.closed || this.socket === null) return
    const time = now()
    if (this.state === 'joining') {
      if (time - this.joinStarted >= JOIN_TIMEOUT) { this.log(`no welcome from ${this.url}`); this.reconnect(); return }
      if (this.parent !== null && time - this.lastJoin >= JOIN_RETRY) this.sendJoin()
      return
    }
    if (this.state !== 'joined') return
    // A connection cut without a close (a network gone quiet) shows as a silent parent.
    if (time - this.lastHeard > PARENT_SILENCE) { this.log(`${this.url} went silent`); this.reconnect(); return }
    const digests = [...this.documents.values()].map(entry => ({ document: entry.id, digest: entry.doc.digest, operations: BigInt(entry.doc.operationCount) }))
    this.send({ kind: 'node', node: this.node }, 'heartbeat', {
      root: this.welcome.root, depth: BigInt(this.welcome.depth), grandparent: null, children: [], subtreeSize: 1n, digests, path: [], replicas: [this.replica], rumors: []
    })
    for (const entry of this.documents.values()) entry.tick(time)
  }
}

/** One open document: its replica, sync state, transfers and presence. */
class DocumentEntry {
  constructor (client, id) {
    this.client = client
    this.id = id
    this.doc = new TextDocument({ replica: client.replica })
    this.listeners = new Set()
    this.presenceListeners = new Set()
    this.peers = new Map()
    this.presence = { cursor: null, selection: null, metadata: new Map() }
    this.presenceClock = 0n
    this.presenceSent = 0
    /** How many of our own operations the parent is known to hold (§11.3). */
    this.parentHeld = 0
    this.mismatchSince = null
    this.lastRepair = 0
    this.incoming = new Map()
    this.outgoing = new Map()
    this.isSynced = false
    this.syncWaiters = []
    /** Transfers received whole, by kind (a snapshot for a large document on first sync). */
    this.transfersCompleted = { snapshot: 0, fragment: 0 }
    this.handle = new DocumentHandle(this)
  }

  synced (timeout) {
    if (this.isSynced) return Promise.resolve()
    return new Promise(resolve => {
      const timer = setTimeout(resolve, timeout)
      this.syncWaiters.push(() => { clearTimeout(timer); resolve() })
    })
  }

  markSynced () {
    if (this.isSynced) return
    this.isSynced = true
    for (const waiter of this.syncWaiters.splice(0)) waiter()
  }

  get topic () { return documentTopic(this.id) }

  /** A parent welcomed us: push what it lacks of ours, then ask for what we lack (§9, §11.3). */
  parentJoined () {
    this.incoming.clear()
    this.outgoing.clear()
    this.pushOwn()
    this.requestSync()
    this.sendPresence(false)
  }

  pushOwn () {
    const since = { ...this.doc.versionVector, [this.doc.replica]: BigInt(this.parentHeld) }
    const fragment = this.doc.fragmentSince(since)
    if (fragment !== null) this.client.send(this.topic, 'delta', fragment, { origin: this.doc.replica, lamport: this.doc.clock })
  }

  requestSync () {
    this.lastRepair = now()
    this.client.send(this.topic, 'syncRequest', { document: this.id, version: this.doc.versionVector })
  }

  // MARK: Local edits

  commit (apply) {
    const before = this.doc.text()
    const changes = apply()
    const fragment = this.doc.takeLocalFragment()
    if (fragment === null) return
    if (this.client.state === 'joined') this.client.send(this.topic, 'delta', fragment, { origin: this.doc.replica, lamport: this.doc.clock })
    this.emit({ origin: 'local', changes, before })
  }

  emit (event) {
    for (const listener of this.listeners) listener(event)
  }

  // MARK: Messages from the parent

  receive (message) {
    const { header, payload } = message
    switch (header.type) {
      case 'delta':
        if (header.origin === this.doc.replica) return
        this.applyRemote(payload, header.origin)
        break
      case 'syncRequest': this.answerSync(payload); break
      case 'syncReply': this.receiveReply(payload); break
      case 'transferChunk': this.receiveChunk(payload); break
      case 'transferAck': this.receiveAck(payload); break
      case 'presence': this.receivePresence(payload, header.origin); break
    }
  }

  applyRemote (fragment, author) {
    const changes = this.doc.applyFragment(fragment, author)
    if (changes.length > 0) this.emit({ origin: 'remote', changes })
  }

  /** The parent asks what we hold: our version and what it lacks (§11.2). */
  answerSync ({ version }) {
    this.notePeerHolds(version)
    const fragment = this.doc.fragmentSince(version) ?? new Uint8Array(0)
    if (fragment.length > INLINE_LIMIT) {
      this.client.send(this.topic, 'syncReply', { document: this.id, version: this.doc.versionVector, transferFollows: true, fragment: new Uint8Array(0) })
      this.startTransfer(fragment, version)
      return
    }
    this.client.send(this.topic, 'syncReply', { document: this.id, version: this.doc.versionVector, transferFollows: false, fragment })
  }

  receiveReply ({ version, transferFollows, fragment }) {
    if (fragment.length > 0) this.applyRemote(fragment, null)
    this.notePeerHolds(version)
    // The third message: what the parent lacks of ours (§11.2).
    const missing = this.doc.fragmentSince(version)
    if (missing !== null) this.client.send(this.topic, 'delta', missing, { origin: this.doc.replica, lamport: this.doc.clock })
    if (!transferFollows) this.markSynced()
  }

  notePeerHolds (version) {
    const held = Number(version[this.doc.replica] ?? 0n)
    if (held > this.parentHeld) this.parentHeld = held
  }

  compareDigest (digest) {
    const same = digest.digest === this.doc.digest && digest.operations === BigInt(this.doc.operationCount)
    if (same) { this.mismatchSince = null; return }
    this.mismatchSince ??= now()
  }

  tick (time) {
    if (this.mismatchSince !== null && this.incoming.size === 0 && this.outgoing.size === 0 &&
        time - this.mismatchSince >= REPAIR_DELAY && time - this.lastRepair >= REPAIR_INTERVAL) {
      this.requestSync()
    }
    if (time - this.presenceSent >= PRESENCE_REFRESH) this.sendPresence(false)
    for (const [replica, peer] of this.peers) {
      if (time - peer.heard > PRESENCE_TIMEOUT) { this.peers.delete(replica); this.emitPresence() }
    }
    for (const [id, transfer] of this.incoming) if (time - transfer.lastProgress > TRANSFER_IDLE) this.incoming.delete(id)
    for (const [id, transfer] of this.outgoing) {
      if (time - transfer.lastProgress < TRANSFER_RESEND) continue
      if (++transfer.retries > TRANSFER_RETRIES) { this.outgoing.delete(id); continue }
      transfer.lastProgress = time
      transfer.sent = transfer.acknowledged
      this.sendChunks(transfer)
    }
  }

  // MARK: Transfers (§12)

  receiveChunk (chunk) {
    const key = chunk.transfer.toString()
    let transfer = this.incoming.get(key)
    if (transfer === undefined) {
      if (chunk.index !== 0n || this.incoming.size >= MAX_TRANSFERS || chunk.totalSize > BigInt(MAX_TRANSFER)) return
      transfer = { first: chunk, parts: [], size: 0, next: 0n, lastProgress: now() }
      this.incoming.set(key, transfer)
    }
    const first = transfer.first
    const agrees = chunk.count === first.count && chunk.kind === first.kind && chunk.totalSize === first.totalSize && sameVersion(chunk.covering, first.covering)
    if (!agrees) return
    if (chunk.index === transfer.next) {
      if (transfer.size + chunk.bytes.length > Number(first.totalSize)) { this.incoming.delete(key); return }
      transfer.parts.push(chunk.bytes)
      transfer.size += chunk.bytes.length
      transfer.next += 1n
      transfer.lastProgress = now()
    }
    this.client.send(this.topic, 'transferAck', { transfer: chunk.transfer, document: this.id, next: transfer.next })
    if (transfer.next === first.count) {
      this.incoming.delete(key)
      if (transfer.size === Number(first.totalSize)) this.completeTransfer(first.kind, concat(transfer.parts, transfer.size))
    }
  }

  async completeTransfer (kind, bytes) {
    this.transfersCompleted[kind] += 1
    try {
      if (kind === 'fragment') {
        this.applyRemote(bytes, null)
      } else {
        const snapshot = await decodeSnapshot(bytes)
        const before = this.doc.text()
        this.doc.loadSnapshot(snapshot)
        this.emit({ origin: 'reset', changes: [], before })
      }
    } catch (error) {
      if (!(error instanceof WireError)) throw error
      this.client.log(`dropped a bad transfer: ${error.message}`)
    }
    this.markSynced()
  }

  startTransfer (bytes, covering) {
    const id = this.client.nextTransfer++
    const chunks = []
    for (let offset = 0; offset < bytes.length; offset += TRANSFER_CHUNK) chunks.push(bytes.subarray(offset, offset + TRANSFER_CHUNK))
    const transfer = { id, chunks, covering: this.doc.versionVector, size: bytes.length, sent: 0, acknowledged: 0, retries: 0, lastProgress: now() }
    this.outgoing.set(id.toString(), transfer)
    this.sendChunks(transfer)
  }

  sendChunks (transfer) {
    while (transfer.sent < transfer.chunks.length && transfer.sent < transfer.acknowledged + TRANSFER_WINDOW) {
      this.client.send(this.topic, 'transferChunk', {
        transfer: transfer.id, document: this.id, index: BigInt(transfer.sent), count: BigInt(transfer.chunks.length), kind: 'fragment',
        totalSize: BigInt(transfer.size), covering: transfer.covering, bytes: transfer.chunks[transfer.sent]
      })
      transfer.sent += 1
    }
  }

  receiveAck ({ transfer: id, next }) {
    const transfer = this.outgoing.get(id.toString())
    if (transfer === undefined) return
    const acknowledged = Number(next)
    if (acknowledged > transfer.acknowledged) {
      transfer.acknowledged = Math.min(acknowledged, transfer.chunks.length)
      transfer.retries = 0
      transfer.lastProgress = now()
    }
    if (transfer.acknowledged >= transfer.chunks.length) { this.outgoing.delete(id.toString()); return }
    this.sendChunks(transfer)
  }

  // MARK: Presence (§17)

  sendPresence (leaving) {
    this.presenceSent = now()
    this.presenceClock += 1n
    const color = parseInt(this.client.color.replace('#', '').padEnd(6, '0').slice(0, 6), 16) * 256 + 255
    const presence = {
      replica: this.doc.replica, clock: this.presenceClock, name: this.client.name, color: BigInt(color >>> 0),
      cursor: this.presence.cursor, selection: this.presence.selection, isLeaving: leaving, metadata: this.presence.metadata
    }
    this.client.send(this.topic, 'presence', presence, { origin: this.doc.replica })
  }

  receivePresence (presence, origin) {
    if (presence.replica !== origin || presence.replica === this.doc.replica) return
    const known = this.peers.get(presence.replica)
    if (known !== undefined && known.presence.clock >= presence.clock) return
    if (presence.isLeaving) this.peers.delete(presence.replica)
    else this.peers.set(presence.replica, { presence, heard: now() })
    this.emitPresence()
  }

  emitPresence () {
    for (const listener of this.presenceListeners) listener(this.handle.presence())
  }

  /** A cursor anchored at scalar `position` of the main text, keeping to `side`. */
  cursorAt (position, side = 'left') {
    const sequence = this.doc.sequence(MAIN_TEXT)
    const count = sequence?.visibleCount ?? 0
    const clamped = Math.max(0, Math.min(position, count))
    if (side === 'left') {
      if (clamped === 0) return { container: MAIN_TEXT, anchor: null, side }
      return { container: MAIN_TEXT, anchor: this.doc.reference(sequence.items[sequence.indexOfVisible(clamped - 1)]), side }
    }
    if (clamped === count) return { container: MAIN_TEXT, anchor: null, side }
    return { container: MAIN_TEXT, anchor: this.doc.reference(sequence.items[sequence.indexOfVisible(clamped)]), side }
  }

  /** Where a cursor stands now, as a scalar position; null if its anchor is not known here. */
  positionOf (cursor) {
    if (cursor === null) return null
    const sequence = this.doc.sequence(cursor.container)
    if (cursor.anchor === null) return cursor.side === 'left' ? 0 : (sequence?.visibleCount ?? 0)
    const replica = this.doc.replicaIndex.get(cursor.anchor.replica)
    const item = replica === undefined ? undefined : sequence?.item(replica, cursor.anchor.counter)
    if (item === undefined) return null
    const position = sequence.visiblePosition(item)
    return cursor.side === 'left' && !item.deleted ? position + 1 : position
  }
}

function sameVersion (a, b) {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every(key => a[key] === b[key])
}

function concat (parts, size) {
  const out = new Uint8Array(size)
  let offset = 0
  for (const part of parts) { out.set(part, offset); offset += part.length }
  return out
}

/** What an app holds of an open document. Positions count Unicode scalars. */
export class DocumentHandle {
  constructor (entry) { this.entry = entry }

  get id () { return this.entry.id }
  /** This client's replica ID (the author of its edits). */
  get replica () { return this.entry.doc.replica }
  text () { return this.entry.doc.text() }
  /** The length in Unicode scalars. */
  get length () { return this.entry.doc.length() }

  insert (position, text) { this.entry.commit(() => { this.entry.doc.insert(position, text); return [{ position, inserted: text }] }) }
  delete (position, length) { this.entry.commit(() => { this.entry.doc.delete(position, length); return [{ position, deleted: length }] }) }
  /** Replaces `length` scalars at `position` with `text`, as one transaction. */
  replace (position, length, text) {
    this.entry.commit(() => {
      const changes = []
      if (length > 0) { this.entry.doc.delete(position, length); changes.push({ position, deleted: length }) }
      if (text.length > 0) { this.entry.doc.insert(position, text); changes.push({ position, inserted: text }) }
      return changes
    })
  }

  /**
   * Calls `listener({ origin, changes })` after every change: `origin` is 'local', 'remote' or
   * 'reset' (a snapshot replaced the text: read it again); `changes` are
   * `{ position, inserted }` and `{ position, deleted }` in order. Returns an unsubscribe.
   */
  onChange (listener) {
    this.entry.listeners.add(listener)
    return () => this.entry.listeners.delete(listener)
  }

  /**
   * Shares this user's caret (`cursor`, a scalar position) or `selection` (`{ anchor, head }`),
   * and optional `metadata` (an object of strings and numbers), with everyone in the document.
   */
  setPresence ({ cursor = null, selection = null, metadata = null } = {}) {
    const entry = this.entry
    entry.presence.cursor = cursor === null ? null : entry.cursorAt(cursor, 'left')
    if (selection === null || selection.anchor === selection.head) {
      entry.presence.selection = null
    } else {
      const forward = selection.anchor < selection.head
      entry.presence.selection = {
        anchor: entry.cursorAt(selection.anchor, forward ? 'right' : 'left'),
        head: entry.cursorAt(selection.head, forward ? 'left' : 'right')
      }
    }
    if (metadata !== null) entry.presence.metadata = new Map(Object.entries(metadata).map(([key, value]) => [key, typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value]))
    entry.sendPresence(false)
  }

  /** Everyone else in the document: `{ replica, name, color, cursor, selection }`, positions now. */
  presence () {
    return [...this.entry.peers.values()].map(({ presence }) => ({
      replica: presence.replica,
      name: presence.name,
      color: '#' + (Number(presence.color) >>> 8).toString(16).padStart(6, '0'),
      cursor: this.entry.positionOf(presence.cursor),
      selection: presence.selection === null ? null : { anchor: this.entry.positionOf(presence.selection.anchor), head: this.entry.positionOf(presence.selection.head) }
    }))
  }

  /** Calls `listener(presence())` whenever someone's presence changes. Returns an unsubscribe. */
  onPresence (listener) {
    this.entry.presenceListeners.add(listener)
    return () => this.entry.presenceListeners.delete(listener)
  }

  /** A UTF-16 offset of the current text as a scalar position, and back. */
  fromUTF16 (offset) { return utf16ToScalar(this.text(), offset) }
  toUTF16 (position) { return scalarToUtf16(this.text(), position) }
}
