import Logging

extension Logger {
    /// This logger with `metadata` added (a key already there takes the new value), set as one
    /// dictionary: one `logger[metadataKey:]` write per key copied the logger's storage and its
    /// handler's metadata, and grew that dictionary, for each key (1.8 % of a drain profile when
    /// every command's logger was made that way).
    func adding(_ metadata: Logger.Metadata) -> Logger {
        var logger = self
        var merged = logger.handler.metadata
        merged.reserveCapacity(merged.count + metadata.count)
        merged.merge(metadata) { _, new in new }
        logger.handler.metadata = merged
        return logger
    }
}
