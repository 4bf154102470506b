internal import Mustache

/// Renders the dashboard's view models with its templates (``DashboardTemplates``).
struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    /// Compiles every template.
    ///
    /// - Throws: When a template does not parse (a defect caught by the tests).
    init() throws {
        var library = MustacheLibrary()
        for (name, text) in DashboardTemplates.all {
            try library.register(text, named: name)
        }
        self.library = library
    }

    /// The HTML of `template` rendered over `view`.
    func render(_ template: String, _ view: some Sendable) -> String {
        self.library.render(view, withTemplate: template) ?? ""
    }
}
