import ZincProtocol

/// The I/O thread's side of text bindings: which bindings watch which document, bringing
/// them up to date with every change, and sharing their selections as presence.
extension ChannelListener {
    /// Makes a binding of `text` in `document` whose view starts as the text is now.
    func makeTextBinding(_ document: String, text: TextRef, endpoint: Endpoint) throws(EndpointError) -> TextBinding {
        guard machine.peek(document, { $0.setRecordsChanges(true) }) != nil, let sync = machine.documents[document] else {
            throw .unknownDocument(document)
        }
        let token = nextObserver
        nextObserver += 1
        let initial = TextView(
            version: 0, rope: .init(sync.document.text(text)), selection: TextSelection(caret: 0),
            peers: TextBinding.peers(sync.presence.peers, in: sync.document, text: text))
        let binding = TextBinding(document: document, text: text, endpoint: endpoint, token: token, view: initial)
        textBindings[document, default: [:]][token] = WeakTextBinding(binding: binding)
        return binding
    }

    func removeTextBinding(_ token: Int, document: String) {
        textBindings[document]?[token] = nil
        if textBindings[document]?.isEmpty == true { textBindings[document] = nil }
    }

    /// Brings every binding of `document` up to date with `changes` (possibly none: presence
    /// alone may have moved).
    func updateTextBindings(_ document: String, changes: [DocumentChange], origin: ChangeOrigin) {
        guard let bindings = textBindings[document], let sync = machine.documents[document] else { return }
        let presence = sync.presence.peers
        for (token, entry) in bindings {
            guard let binding = entry.binding else {
                removeTextBinding(token, document: document)
                continue
            }
            binding.apply(changes, origin: origin, document: sync.document, presence: presence)
        }
    }

    /// Shares the binding's selection as this replica's presence in the document, anchored to
    /// the text so it survives the others' edits.
    func shareSelection(of binding: TextBinding, text: TextRef) {
        guard let document = machine.documents[binding.document]?.document else { return }
        let selection = binding.currentSelection
        let caret = document.cursor(at: selection.head, in: text)
        let range = selection.anchor == selection.head ? nil : document.selection(from: selection.anchor, to: selection.head, in: text)
        execute(machine.updatePresence(binding.document, now: now) { presence in
            presence.cursor = caret
            presence.selection = range
        })
    }

    /// Tells the binding's observers its selection moved.
    func publishSelection(of binding: TextBinding) {
        binding.selectionMoved()
    }
}

/// The listener keeps bindings weakly: an app that drops its binding drops the view.
struct WeakTextBinding {
    weak var binding: TextBinding?
}
