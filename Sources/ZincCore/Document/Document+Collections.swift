/// Lists, maps, registers, counters and sets.
extension Document {
    // MARK: - Lists

    /// Inserts `values` so the first lands at `position`.
    public mutating func insert(_ values: [Value], at position: Int, in list: ListRef) throws(DocumentError) {
        guard !values.contains(where: \.containsNaN) else { throw DocumentError(.invalidOperation, "NaN is not a storable value") }
        _ = try insertElements(values.map(ListElement.value), at: position, in: containerIndex(list.id))
    }

    /// Inserts a nested container at `position` and returns its ID.
    @discardableResult
    public mutating func insertContainer(_ type: ContainerType, at position: Int, in list: ListRef) throws(DocumentError) -> ContainerID {
        guard let item = try insertElements([.container(type)], at: position, in: containerIndex(list.id)) else {
            throw DocumentError(.invalidOperation, "empty insert")
        }
        return .listElement(parent: list.id, element: opID(item), type: type)
    }

    /// Deletes the elements in `range`.
    public mutating func delete(_ range: Range<Int>, in list: ListRef) throws(DocumentError) {
        try deleteSequence(range, in: containerIndex(list.id))
    }

    /// The list's elements.
    public func elements(of list: ListRef) -> [ListElement] {
        existingSlot(list.id).map { listElements(sequences[$0].elements(), slot: $0) } ?? []
    }

    /// The ID of the nested container at `position`, if that element is a container.
    public func containerID(at position: Int, in list: ListRef) -> ContainerID? {
        guard let slot = existingSlot(list.id), position >= 0, position < sequences[slot].visibleCount else { return nil }
        let location = sequences[slot].locateVisible(position)
        let value = listValues[slot][Int(sequences[slot].leaves[Int(location.leaf)].content[location.contentOffset])]
        guard case .container(let type) = value else { return nil }
        let run = sequences[slot].leaves[Int(location.leaf)].runs[location.run]
        return .listElement(parent: list.id, element: opID(run.id.advanced(by: location.offset)), type: type)
    }

    /// The number of elements.
    public func count(of list: ListRef) -> Int {
        existingSlot(list.id).map { sequences[$0].visibleCount } ?? 0
    }

    // MARK: - Maps

    /// Sets `key` to `value`.
    public mutating func set(_ key: String, to value: Value, in map: MapRef) throws(DocumentError) {
        guard !value.containsNaN else { throw DocumentError(.invalidOperation, "NaN is not a storable value") }
        try setMapValue(key, .value(value), in: containerIndex(map.id))
    }

    /// Makes `key` hold a nested container of `type` and returns its ID. Two replicas doing this
    /// concurrently get the same container.
    @discardableResult
    public mutating func setContainer(_ key: String, _ type: ContainerType, in map: MapRef) throws(DocumentError) -> ContainerID {
        try setMapValue(key, .container(type), in: containerIndex(map.id))
        return .mapEntry(parent: map.id, key: key, type: type)
    }

    /// Removes `key`.
    public mutating func remove(_ key: String, in map: MapRef) throws(DocumentError) {
        guard value(forKey: key, in: map) != nil else { return }
        try setMapValue(key, .deleted, in: containerIndex(map.id))
    }

    /// The value under `key`, or `nil` if absent or removed.
    public func value(forKey key: String, in map: MapRef) -> MapValue? {
        guard let slot = existingSlot(map.id), let entry = maps[slot].entries[key], entry.value != .deleted else { return nil }
        return entry.value
    }

    /// The keys that hold a value, sorted.
    public func keys(in map: MapRef) -> [String] {
        guard let slot = existingSlot(map.id) else { return [] }
        return maps[slot].entries.filter { $0.value.value != .deleted }.map(\.key).sorted()
    }

    mutating func setMapValue(_ key: String, _ value: MapValue, in container: UInt32) throws(DocumentError) {
        let slot = slot(of: container)
        let previous = maps[slot].entries[key]?.value
        let (counter, lamport) = try reserveLocal(1)
        let item = ItemID(replica: selfIndex, counter: counter)
        journal(.mapEntry(container: container, key: key, previous: maps[slot].entries[key]))
        maps[slot].entries[key] = LWWEntry(value: value, lamport: lamport, replica: replica, op: item)
        appendPayloadRun(.mapSet(key: key, value: value), counter: counter, lamport: lamport, container: container, kind: .mapSet)
        undoHistory.record(.mapSet(container: container, key: key, previous: previous))
        record(.mapSet(containers.ids[Int(container)], key: key, value: value == .deleted ? nil : value))
    }

    mutating func appendPayloadRun(_ payload: OpPayload, counter: UInt64, lamport: UInt64, container: UInt32, kind: OpKind) {
        let log = Int(selfIndex)
        let index = UInt32(logs[log].payloads.count)
        logs[log].payloads.append(payload)
        logs[log].append(LogRun(counter: counter, lamport: lamport, length: 1, container: container, kind: kind, payload: index))
    }

    // MARK: - Registers

    /// Sets a last-writer-wins register.
    public mutating func set(_ value: Value, in register: RegisterRef) throws(DocumentError) {
        guard !value.containsNaN else { throw DocumentError(.invalidOperation, "NaN is not a storable value") }
        try setRegister(value, in: containerIndex(register.id))
    }

    /// Sets a multi-value register, superseding every value this replica has seen.
    public mutating func set(_ value: Value, in register: MultiValueRegisterRef) throws(DocumentError) {
        guard !value.containsNaN else { throw DocumentError(.invalidOperation, "NaN is not a storable value") }
        try setRegister(value, in: containerIndex(register.id))
    }

    /// A last-writer-wins register's value.
    public func value(of register: RegisterRef) -> Value? {
        existingSlot(register.id).flatMap { registers[$0].winner?.value }
    }

    /// A multi-value register's values: one, or several written concurrently (ordered by op).
    public func values(of register: MultiValueRegisterRef) -> [Value] {
        existingSlot(register.id).map { registers[$0].values.map(\.value) } ?? []
    }

    mutating func setRegister(_ value: Value, in container: UInt32) throws(DocumentError) {
        let slot = slot(of: container)
        let id = containers.ids[Int(container)]
        let previous: [Value] = id.type == .register ? (registers[slot].winner.map { [$0.value] } ?? []) : registers[slot].values.map(\.value)
        let supersedes = registers[slot].values.map(\.op)
        let (counter, lamport) = try reserveLocal(1)
        let item = ItemID(replica: selfIndex, counter: counter)
        journal(.register(container: container, previous: registers[slot]))
        if id.type == .register {
            registers[slot].winner = LWWEntry(value: value, lamport: lamport, replica: replica, op: item)
        } else {
            registers[slot].values = [(item, value)]
        }
        appendPayloadRun(.registerSet(value: value, supersedes: id.type == .register ? [] : supersedes), counter: counter, lamport: lamport, container: container, kind: .registerSet)
        undoHistory.record(.registerSet(container: container, previous: previous))
        record(.registerSet(id, values: [value]))
    }

    // MARK: - Counters

    /// Adds `delta` (negative to decrement).
    public mutating func increment(_ counter: CounterRef, by delta: Int64 = 1) throws(DocumentError) {
        try addToCounter(delta, in: containerIndex(counter.id))
    }

    /// The counter's value.
    public func value(of counter: CounterRef) -> Int64 {
        existingSlot(counter.id).map { counters[$0].value } ?? 0
    }

    mutating func addToCounter(_ delta: Int64, in container: UInt32) throws(DocumentError) {
        let slot = slot(of: container)
        let (counter, lamport) = try reserveLocal(1)
        journal(.counter(container: container, previous: counters[slot]))
        counters[slot].add(delta, by: selfIndex)
        appendPayloadRun(.counterAdd(delta), counter: counter, lamport: lamport, container: container, kind: .counterAdd)
        undoHistory.record(.counterAdd(container: container, delta: delta))
        record(.counterChanged(containers.ids[Int(container)], value: counters[slot].value))
    }

    // MARK: - Sets

    /// Adds `value` to an add-wins set.
    public mutating func add(_ value: Value, to set: SetRef) throws(DocumentError) {
        guard !value.containsNaN else { throw DocumentError(.invalidOperation, "NaN is not a storable value") }
        try addToSet(value, in: containerIndex(set.id))
    }

    /// Removes `value` as this replica has seen it; a concurrent add elsewhere survives.
    public mutating func remove(_ value: Value, from set: SetRef) throws(DocumentError) {
        try removeFromSet(value, observed: nil, in: containerIndex(set.id))
    }

    /// The set's elements.
    public func elements(of set: SetRef) -> Set<Value> {
        guard let slot = existingSlot(set.id) else { return [] }
        return Set(sets[slot].tags.filter { !$0.value.isEmpty }.keys)
    }

    /// True if `value` is in the set.
    public func contains(_ value: Value, in set: SetRef) -> Bool {
        existingSlot(set.id).map { !(sets[$0].tags[value]?.isEmpty ?? true) } ?? false
    }

    mutating func addToSet(_ value: Value, in container: UInt32) throws(DocumentError) {
        let slot = slot(of: container)
        let wasPresent = !(sets[slot].tags[value]?.isEmpty ?? true)
        let (counter, lamport) = try reserveLocal(1)
        let item = ItemID(replica: selfIndex, counter: counter)
        journal(.setTags(container: container, value: value, previous: sets[slot].tags[value]))
        sets[slot].tags[value, default: []].insert(item)
        appendPayloadRun(.setAdd(value), counter: counter, lamport: lamport, container: container, kind: .setAdd)
        undoHistory.record(.setAdd(container: container, value: value, tag: item))
        if !wasPresent { record(.setChanged(containers.ids[Int(container)], added: [value], removed: [])) }
    }

    /// Removes the add tags in `observed` (all current tags when nil).
    mutating func removeFromSet(_ value: Value, observed: Set<ItemID>?, in container: UInt32) throws(DocumentError) {
        let slot = slot(of: container)
        let current = sets[slot].tags[value] ?? []
        let removing = observed.map { $0.intersection(current) } ?? current
        guard !removing.isEmpty else { return }
        let (counter, lamport) = try reserveLocal(1)
        journal(.setTags(container: container, value: value, previous: sets[slot].tags[value]))
        sets[slot].tags[value]?.subtract(removing)
        if sets[slot].tags[value]?.isEmpty == true { sets[slot].tags[value] = nil }
        appendPayloadRun(.setRemove(value, observed: removing.sorted()), counter: counter, lamport: lamport, container: container, kind: .setRemove)
        undoHistory.record(.setRemove(container: container, value: value))
        if sets[slot].tags[value] == nil { record(.setChanged(containers.ids[Int(container)], added: [], removed: [value])) }
    }
}
