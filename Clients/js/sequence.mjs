// One text or list of a document (docs/protocol.md §6): every item ever inserted, tombstones
// included, in document order, integrated with the FugueMax rule so that every replica orders
// concurrent inserts the same way and never interleaves two runs typed at the same place.
//
// Items are plain objects in one array: an editor's document is small enough that the O(n)
// index lookups below cost microseconds, and one array keeps the integration rule easy to check
// against the spec line by line.

/**
 * Items by identity: replica index → counter → item (numeric keys: a document of a million
 * items is looked up and built without a string per item).
 */
export class ItemIndex {
  constructor () { this.replicas = new Map() }
  get (replica, counter) { return this.replicas.get(replica)?.get(counter) }
  has (replica, counter) { return this.replicas.get(replica)?.has(counter) ?? false }
  set (item) {
    let counters = this.replicas.get(item.replica)
    if (counters === undefined) { counters = new Map(); this.replicas.set(item.replica, counters) }
    counters.set(item.counter, item)
  }

  /** The same index with replica indices renumbered through `table`. */
  renumbered (table) {
    const index = new ItemIndex()
    for (const [replica, counters] of this.replicas) index.replicas.set(table[replica], counters)
    return index
  }
}

export class Sequence {
  constructor (container) {
    this.container = container
    /** Items in document order: { replica, counter, left, right, deleted, content }. */
    this.items = []
    this.byID = new ItemIndex()
    this.visibleCount = 0
    this.cachedText = undefined
  }

  item (replica, counter) { return this.byID.get(replica, counter) }

  /** The visible content, in order (scalars of a text, elements of a list). */
  contents () {
    const out = []
    for (const item of this.items) if (!item.deleted) out.push(item.content)
    return out
  }

  /** The visible text (of a text sequence), built once per change: editors ask for it often. */
  text () {
    if (this.cachedText === undefined) this.cachedText = this.contents().join('')
    return this.cachedText
  }

  /** Index (tombstones included) of the visible item at visible `position`. */
  indexOfVisible (position) {
    let seen = 0
    for (let index = 0; index < this.items.length; index++) {
      if (this.items[index].deleted) continue
      if (seen === position) return index
      seen += 1
    }
    return -1
  }

  /** The visible position an item has, or would have if it were visible. */
  visiblePosition (target) {
    let seen = 0
    for (const item of this.items) {
      if (item === target) return seen
      if (!item.deleted) seen += 1
    }
    return seen
  }

  /**
   * Origins for a local insert at visible `position`: right after the visible item before it
   * (ahead of any tombstones that follow that item), before whatever item comes next.
   */
  localOrigins (position) {
    if (position === 0) return { left: null, right: this.items[0] ?? null, index: 0 }
    const index = this.indexOfVisible(position - 1)
    return { left: this.items[index], right: this.items[index + 1] ?? null, index: index + 1 }
  }

  /** Places new items at `index` (a local insert whose origins came from localOrigins). */
  place (index, items) {
    this.cachedText = undefined
    // A spread of a large run (a paste of a book) would pass too many arguments.
    if (items.length < 4096) this.items.splice(index, 0, ...items)
    else this.items = this.items.slice(0, index).concat(items, this.items.slice(index))
    for (const item of items) {
      this.byID.set(item)
      if (!item.deleted) this.visibleCount += 1
    }
  }

  /**
   * Where a remote run whose first item has origins `left` and `right` (items or null) goes,
   * by the FugueMax rule of §6; `precedes(a, b)` orders replica indices by replica ID. Throws
   * a RangeError if the right origin comes before the left one (forged or corrupt).
   */
  destination (first, left, right, precedes) {
    const leftIndex = left === null ? -1 : this.items.indexOf(left)
    // The common case: nothing was inserted concurrently between the origins.
    if ((this.items[leftIndex + 1] ?? null) === right) return leftIndex + 1
    const rightIndex = right === null ? this.items.length : this.items.indexOf(right)
    if (rightIndex <= leftIndex) throw new RangeError('right origin before left origin')
    // Positions of the items between the origins, to compare the origins of the items scanned.
    const position = new Map()
    for (let index = leftIndex + 1; index < rightIndex; index++) position.set(this.items[index], index)
    const indexOf = (item, none) => item === null ? none : item === left ? leftIndex : item === right ? rightIndex : (position.get(item) ?? -2)
    let destination = leftIndex + 1
    let scanning = false
    for (let index = leftIndex + 1; index < rightIndex; index++) {
      const other = this.items[index]
      const otherLeft = indexOf(other.left, -1)
      // An origin outside the range lies before the left origin: origins precede their items.
      if (otherLeft < leftIndex) break
      if (otherLeft === leftIndex) {
        let otherRight = indexOf(other.right, this.items.length)
        if (otherRight === -2) otherRight = this.items.length
        if (otherRight < rightIndex) {
          scanning = true
        } else if (otherRight === rightIndex) {
          if (precedes(first.replica, other.replica)) break
          scanning = false
        } else {
          scanning = false
        }
      }
      if (!scanning) destination = index + 1
    }
    return destination
  }

  /** Takes `items` (document order, origins resolved) as the whole sequence, with their index. */
  adopt (items, index, visibleCount) {
    this.items = items
    this.byID = index
    this.visibleCount = visibleCount
    this.cachedText = undefined
  }

  /**
   * Marks `targets` deleted in one pass over the sequence; returns the visible ranges that
   * disappeared as `{ position, deleted }` changes, last first, so that each applies as given
   * after the ones before it.
   */
  removeAll (targets) {
    const doomed = new Set()
    for (const item of targets) if (!item.deleted) doomed.add(item)
    if (doomed.size === 0) return []
    const ranges = []
    let visible = 0
    for (const item of this.items) {
      if (item.deleted) continue
      if (doomed.has(item)) {
        const last = ranges[ranges.length - 1]
        if (last !== undefined && last.position + last.deleted === visible) last.deleted += 1
        else ranges.push({ position: visible, deleted: 1 })
      }
      visible += 1
    }
    for (const item of doomed) item.deleted = true
    this.visibleCount -= doomed.size
    this.cachedText = undefined
    return ranges.reverse()
  }
}
