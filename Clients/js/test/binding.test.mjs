// The textarea binding's pure parts: the one edit between two texts (at the caret, never
// splitting a surrogate pair), carets moved by remote edits, and UTF-16 ↔ scalar offsets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { editBetween, movePosition, applyRemote } from '../binding.mjs'
import { utf16ToScalar, scalarToUtf16 } from '../zinc.mjs'
import { TextDocument } from '../document.mjs'

test('the edit between two texts is found at the caret: typing a letter next to the same letter, backspace, a replaced selection', () => {
  assert.deepEqual(editBetween('aa', 'aaa', 2), { position: 1, deleted: 0, inserted: 'a' })
  assert.deepEqual(editBetween('aa', 'aaa', 3), { position: 2, deleted: 0, inserted: 'a' })
  assert.deepEqual(editBetween('aa', 'a', 0), { position: 0, deleted: 1, inserted: '' })
  assert.deepEqual(editBetween('hello world', 'hello there', 11), { position: 6, deleted: 5, inserted: 'there' })
  assert.equal(editBetween('same', 'same', 2), null)
})

test('UTF-16 and scalars: an astral character is one scalar and two UTF-16 units, and an edit never splits it', () => {
  const text = 'a𝄞b'
  assert.equal(utf16ToScalar(text, 3), 2)
  assert.equal(scalarToUtf16(text, 2), 3)
  assert.equal(utf16ToScalar(text, 4), 3)
  // Replacing 𝄞 with 𝄢 (same high surrogate): the edit covers the whole character.
  assert.deepEqual(editBetween('a𝄞b', 'a𝄢b', 3), { position: 1, deleted: 1, inserted: '𝄢' })
})

test('a caret moves with remote edits before it, not with those after it; an insert at the caret leaves it before the new text', () => {
  assert.equal(movePosition(5, [{ position: 2, inserted: 'xyz' }]), 8)
  assert.equal(movePosition(5, [{ position: 7, inserted: 'xyz' }]), 5)
  assert.equal(movePosition(5, [{ position: 5, inserted: 'xyz' }]), 5)
  assert.equal(movePosition(5, [{ position: 1, deleted: 2 }]), 3)
  assert.equal(movePosition(5, [{ position: 3, deleted: 4 }]), 3)
})

test('remote changes applied to a textarea state give the document’s text, the selection kept around the same words', () => {
  const local = new TextDocument()
  local.insert(0, 'hello 𝄞 world')
  const remote = new TextDocument()
  remote.applyFragment(local.takeLocalFragment(), local.replica)
  let state = { text: local.text(), selectionStart: scalarToUtf16(local.text(), 8), selectionEnd: scalarToUtf16(local.text(), 13) }
  assert.equal(state.text.slice(state.selectionStart, state.selectionEnd), 'world')
  remote.insert(0, 'Oh, ')
  remote.delete(4 + 6, 2)
  const changes = local.applyFragment(remote.takeLocalFragment(), remote.replica)
  state = applyRemote(state, changes)
  assert.equal(state.text, local.text())
  assert.equal(state.text, 'Oh, hello world')
  assert.equal(state.text.slice(state.selectionStart, state.selectionEnd), 'world')
})
