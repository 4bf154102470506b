/// What an update does to one write-only provider API key.
enum TenantSecretChange: Equatable {
    /// Keep the stored key (the request did not provide one).
    case keep
    /// Store this key.
    case set(String)
    /// Remove the stored key (its path was named with an empty value).
    case clear
}
