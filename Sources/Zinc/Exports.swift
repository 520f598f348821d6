// An app needs one import. The document model (ZincCore: documents, values, cursors,
// presence, change events) and the two tree values an app names (ZincProtocol's `Routing` and
// `Interest`) come with `import Zinc`; everything else in those modules is `package`.
@_exported public import ZincCore
@_exported public import ZincProtocol
