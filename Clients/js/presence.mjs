// Presence payloads (docs/protocol.md §5.10, §17): who is in a document, their name, colour,
// cursor and selection. A cursor is anchored to an item, not a position, so it stays where its
// owner put it while others type. Importing this module teaches wire.mjs's readMessage to decode
// presence payloads.
import { Reader, Writer, WireError, payloads } from './wire.mjs'
import { readContainerID, writeContainerID, readValue, writeValue, MAX_COUNTER } from './fragment.mjs'

const FLAG_CURSOR = 1
const FLAG_SELECTION = 2
const FLAG_LEAVING = 4
const FLAG_METADATA = 8

/** A cursor: `{ container, anchor: { replica, counter } | null, side: 'left' | 'right' }`. */
function readCursor (reader) {
  const container = readContainerID(reader)
  const tag = reader.byte('cursor anchor tag')
  if (tag === 0) return { container, anchor: null, side: 'left' }
  if (tag === 3) return { container, anchor: null, side: 'right' }
  if (tag !== 1 && tag !== 2) throw new WireError(`cursor anchor tag ${tag}`)
  const replica = reader.id('cursor anchor replica')
  const raw = reader.varint('cursor anchor counter')
  // An anchor past every possible counter names no item: kept exact, it resolves to nothing.
  return { container, anchor: { replica, counter: raw <= BigInt(MAX_COUNTER) ? Number(raw) : raw }, side: tag === 1 ? 'left' : 'right' }
}

function writeCursor (writer, cursor) {
  writeContainerID(writer, cursor.container)
  if (cursor.anchor === null) { writer.byte(cursor.side === 'left' ? 0 : 3); return }
  writer.byte(cursor.side === 'left' ? 1 : 2).id(cursor.anchor.replica).varint(cursor.anchor.counter)
}

export function readPresence (reader) {
  const version = reader.byte('presence version')
  if (version !== 1) throw new WireError(`presence version ${version}`)
  const flags = reader.byte('presence flags')
  if (flags & 0xf0) throw new WireError(`presence flags ${flags}`)
  const presence = { replica: reader.id('presence replica'), clock: reader.varint('presence clock'), name: reader.string('presence name'), color: BigInt(reader.u32('presence colour')), cursor: null, selection: null, isLeaving: (flags & FLAG_LEAVING) !== 0, metadata: new Map() }
  if (flags & FLAG_CURSOR) presence.cursor = readCursor(reader)
  if (flags & FLAG_SELECTION) presence.selection = { anchor: readCursor(reader), head: readCursor(reader) }
  if (flags & FLAG_METADATA) {
    const metadata = readValue(reader)
    if (!(metadata instanceof Map)) throw new WireError('presence metadata is not an object')
    presence.metadata = metadata
  }
  return presence
}

export function writePresence (writer, presence) {
  let flags = 0
  if (presence.cursor) flags |= FLAG_CURSOR
  if (presence.selection) flags |= FLAG_SELECTION
  if (presence.isLeaving) flags |= FLAG_LEAVING
  if (presence.metadata && presence.metadata.size > 0) flags |= FLAG_METADATA
  writer.byte(1).byte(flags).id(presence.replica).varint(presence.clock).string(presence.name).u32(Number(presence.color))
  if (presence.cursor) writeCursor(writer, presence.cursor)
  if (presence.selection) { writeCursor(writer, presence.selection.anchor); writeCursor(writer, presence.selection.head) }
  if (flags & FLAG_METADATA) writeValue(writer, presence.metadata)
}

payloads.presence = { read: readPresence, write: writePresence }

/** Decodes a presence payload on its own. */
export function decodePresence (bytes) {
  const reader = new Reader(bytes)
  const presence = readPresence(reader)
  reader.expectEnd('presence')
  return presence
}

export function encodePresence (presence) {
  const writer = new Writer()
  writePresence(writer, presence)
  return writer.finish()
}
