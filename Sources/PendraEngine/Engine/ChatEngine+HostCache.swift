extension ChatEngine {
    /// The host-RAM prefix cache's size and contents now.
    public var hostCacheStats: HostCacheStats { hostCache.stats }

    /// Called on the engine thread for each host-cache hit, miss, save and
    /// failed restore, for metrics. It must be quick and never block.
    public func observeHostCache(_ observer: @escaping @Sendable (HostCacheEvent) -> Void) {
        hostCache.observe(observer)
    }
}
