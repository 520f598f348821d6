// Binding a document to a plain text editor (a <textarea>), as the Swift TextBinding does for
// native editors: the editor's edits become one transaction each, found by comparing the text
// before and after; the tree's edits are applied to the editor's text where they happened, and
// the caret and selection move with the text around them, so concurrent typing elsewhere never
// moves the user's caret into someone else's words. Pure functions, no DOM: tested in Node,
// used by the web page.
import { utf16ToScalar, scalarToUtf16 } from './zinc.mjs'

/**
 * The one edit that turns `before` into `after`, in Unicode scalars: `{ position, deleted,
 * inserted }`, or null if they are equal. `caret` (a UTF-16 offset in `after`, where the user's
 * caret is) settles ties: typing "a" after "a" is an insert at the caret, not before the first a.
 */
export function editBetween (before, after, caret = after.length) {
  if (before === after) return null
  // What the user typed ends at the caret: the common prefix may not run past its start.
  const typedLimit = Math.max(0, caret - Math.max(0, after.length - before.length))
  let start = 0
  const limit = Math.min(before.length, after.length, typedLimit)
  while (start < limit && before.charCodeAt(start) === after.charCodeAt(start)) start++
  let endBefore = before.length
  let endAfter = after.length
  while (endBefore > start && endAfter > start && before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
    endBefore--
    endAfter--
  }
  // Never split a surrogate pair.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--
  if (endBefore < before.length && isLowSurrogate(before.charCodeAt(endBefore))) { endBefore++; endAfter++ }
  const position = utf16ToScalar(before, start)
  const deleted = utf16ToScalar(before, endBefore) - position
  return { position, deleted, inserted: after.slice(start, endAfter) }
}

const isHighSurrogate = unit => unit >= 0xd800 && unit <= 0xdbff
const isLowSurrogate = unit => unit >= 0xdc00 && unit <= 0xdfff

/**
 * Where a scalar position goes when `changes` (a document's change events, in order) are
 * applied before it. Text inserted exactly at the position lands after it when `stickLeft`
 * (a caret keeps to what its owner typed), before it otherwise.
 */
export function movePosition (position, changes, stickLeft = true) {
  let moved = position
  for (const change of changes) {
    if (change.inserted !== undefined) {
      const length = typeof change.inserted === 'string' ? Array.from(change.inserted).length : change.inserted.length
      if (change.position < moved || (change.position === moved && !stickLeft)) moved += length
    } else if (change.position < moved) {
      moved = Math.max(change.position, moved - change.deleted)
    }
  }
  return moved
}

/**
 * Applies remote `changes` to an editor's state `{ text, selectionStart, selectionEnd }`
 * (UTF-16 offsets, as a textarea keeps them); returns the new state. `text` must be the text the
 * changes were made against.
 */
export function applyRemote (state, changes) {
  let text = state.text
  const start = utf16ToScalar(state.text, state.selectionStart)
  const end = utf16ToScalar(state.text, state.selectionEnd)
  for (const change of changes) {
    const at = scalarToUtf16(text, change.position)
    if (change.inserted !== undefined) {
      text = text.slice(0, at) + change.inserted + text.slice(at)
    } else {
      text = text.slice(0, at) + text.slice(scalarToUtf16(text, change.position + change.deleted))
    }
  }
  const collapsed = start === end
  const newStart = movePosition(start, changes, true)
  const newEnd = collapsed ? newStart : movePosition(end, changes, true)
  return { text, selectionStart: scalarToUtf16(text, newStart), selectionEnd: scalarToUtf16(text, newEnd) }
}
