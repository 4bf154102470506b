extension EgressRefusal: EgressRefusalDescribing {
    package var refusalMessage: String { self.description }
}
