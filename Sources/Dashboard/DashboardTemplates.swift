/// The dashboard's Mustache templates, compiled into the binary so `metachat` needs no files
/// beside it. `{{name}}` escapes HTML; the templates use no triple mustaches.
enum DashboardTemplates {
    /// Name and text of every template; partials are referenced as `{{> name}}`.
    static let all: [(name: String, text: String)] = [
        ("header", header), ("footer", footer), ("login", login), ("tenants", tenants), ("error", error),
        ("inbox", inbox), ("conversation", conversation), ("keys", keys), ("secret", secret),
    ]

    static let header = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{chrome.title}} · MetaChat dashboard</title>
        <link rel="stylesheet" href="/static/dashboard.css">
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
        <span class="brand">MetaChat</span>
        {{#chrome.signedIn}}
        <nav aria-label="Main"><a href="/tenants">Tenants</a></nav>
        <span class="who">{{email}} ({{roleLabel}})</span>
        <form method="post" action="/logout" class="inline">
        <input type="hidden" name="csrf" value="{{csrfToken}}">
        <button type="submit">Sign out</button>
        </form>
        {{/chrome.signedIn}}
        </header>
        <main id="main">
        <h1>{{chrome.title}}</h1>

        """

    static let footer = """
        </main>
        </body>
        </html>

        """

    static let login = """
        {{> header}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/login" class="stack">
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value="{{email}}">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <button type="submit">Sign in</button>
        </form>
        {{> footer}}
        """

    static let tenants = """
        {{> header}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <table>
        <caption>{{count}} tenant(s)</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Status</th>{{#canAdminister}}<th scope="col">Action</th>{{/canAdminister}}</tr></thead>
        <tbody>
        {{#tenants}}
        <tr>
        <td>{{name}}</td>
        <td><code>{{id}}</code> <a href="/tenants/{{id}}/inbox">Inbox</a>{{#canToggle}} <a href="/tenants/{{id}}/keys">API keys</a>{{/canToggle}}</td>
        <td>{{status}}</td>
        {{#canToggle}}
        <td>
        <form method="post" action="/tenants/{{id}}/{{toggleAction}}" class="inline">
        <input type="hidden" name="csrf" value="{{csrfToken}}">
        <button type="submit">{{toggleLabel}}</button>
        </form>
        </td>
        {{/canToggle}}
        </tr>
        {{/tenants}}
        </tbody>
        </table>
        {{#canCreate}}
        <h2>New tenant</h2>
        <form method="post" action="/tenants" class="stack">
        <input type="hidden" name="csrf" value="{{csrfToken}}">
        <label for="name">Name</label>
        <input id="name" name="name" required maxlength="200">
        <button type="submit">Create tenant</button>
        </form>
        {{/canCreate}}
        {{> footer}}
        """

    static let inbox = """
        {{> header}}
        <section id="inbox" data-live-url="{{liveURL}}" data-page="inbox">
        <p class="live-state" id="live-state" role="status">Updates: <span data-live-state>connecting</span></p>
        <p>{{tenantName}}</p>
        <nav aria-label="Inbox views" class="tabs">
        {{#tabs}}
        <a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}} <span class="count">{{count}}</span></a>
        {{/tabs}}
        </nav>
        <div id="inbox-list">
        {{#empty}}<p>No conversations in this view.</p>{{/empty}}
        {{^empty}}
        <table>
        <caption>Longest waiting first</caption>
        <thead><tr><th scope="col">Conversation</th><th scope="col">Customer</th><th scope="col">Channel</th><th scope="col">Status</th><th scope="col">Assignee</th><th scope="col">Waiting</th><th scope="col">Messages</th></tr></thead>
        <tbody>
        {{#rows}}
        <tr><td><a href="{{href}}">{{title}}</a></td><td>{{user}}</td><td>{{channel}}</td><td>{{status}}</td><td>{{assignee}}</td><td>{{waiting}}</td><td>{{messages}}</td></tr>
        {{/rows}}
        </tbody>
        </table>
        {{/empty}}
        </div>
        </section>
        <script type="module" src="/static/live.js"></script>
        {{> footer}}
        """

    static let conversation = """
        {{> header}}
        <section id="conversation" data-live-url="{{liveURL}}" data-page="conversation" data-conversation="{{conversationID}}">
        <p><a href="{{inboxHref}}">Back to the inbox</a></p>
        <p class="live-state" role="status">Updates: <span data-live-state>connecting</span></p>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <div id="conversation-state">
        <p>Status: <strong data-status>{{status}}</strong>{{#assignee}} · assigned to <strong>{{assignee}}</strong>{{/assignee}}</p>
        {{#canAct}}
        <div class="actions">
        {{#canAssign}}<form method="post" action="{{actionBase}}/assign" class="inline"><input type="hidden" name="csrf" value="{{csrfToken}}"><button type="submit">Assign to me</button></form>{{/canAssign}}
        {{#canHandBack}}<form method="post" action="{{actionBase}}/handback" class="inline"><input type="hidden" name="csrf" value="{{csrfToken}}"><button type="submit">Hand back to the AI</button></form>{{/canHandBack}}
        {{#canResolve}}<form method="post" action="{{actionBase}}/resolve" class="inline"><input type="hidden" name="csrf" value="{{csrfToken}}"><button type="submit">Resolve</button></form>{{/canResolve}}
        {{#canReopen}}<form method="post" action="{{actionBase}}/reopen" class="inline"><input type="hidden" name="csrf" value="{{csrfToken}}"><button type="submit">Reopen</button></form>{{/canReopen}}
        </div>
        {{/canAct}}
        </div>
        <h2>Messages</h2>
        <ol id="messages" class="messages">
        {{#bubbles}}
        <li class="bubble {{roleClass}}" data-message-id="{{id}}"><span class="role">{{role}}{{#author}} · {{author}}{{/author}}</span><p class="text">{{text}}</p></li>
        {{/bubbles}}
        </ol>
        {{#canAct}}
        {{#canReply}}
        <h2>Reply</h2>
        <form method="post" action="{{actionBase}}/reply" class="stack">
        <input type="hidden" name="csrf" value="{{csrfToken}}">
        <label for="reply">Reply to the customer</label>
        <textarea id="reply" name="text" rows="3" maxlength="8000" required></textarea>
        <button type="submit">Send reply</button>
        </form>
        {{/canReply}}
        {{/canAct}}
        <h2>Private notes</h2>
        <p>Notes are seen by your team only; they never reach the customer.</p>
        <ul id="notes">
        {{#notes}}<li><span class="role">{{author}} · {{createdAt}}</span><p class="text">{{text}}</p></li>{{/notes}}
        </ul>
        {{#canAct}}
        <form method="post" action="{{actionBase}}/note" class="stack">
        <input type="hidden" name="csrf" value="{{csrfToken}}">
        <label for="note">Private note</label>
        <textarea id="note" name="text" rows="2" maxlength="8000" required></textarea>
        <button type="submit">Add note</button>
        </form>
        {{/canAct}}
        </section>
        <script type="module" src="/static/live.js"></script>
        {{> footer}}
        """

    static let keys = """
        {{> header}}
        <p>{{tenantName}}</p>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <table>
        <caption>API keys (secrets are never shown again after creation)</caption>
        <thead><tr><th scope="col">Label</th><th scope="col">Key</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
        <tbody>
        {{#rows}}
        <tr>
        <td>{{label}}</td>
        <td><code>{{prefix}}…{{lastFour}}</code></td>
        <td>{{#active}}Active{{/active}}{{^active}}Revoked{{/active}}</td>
        <td>
        {{#active}}
        <form method="post" action="{{actionBase}}/rotation" class="inline"><input type="hidden" name="csrf" value="{{csrfToken}}"><button type="submit">Rotate</button></form>
        <form method="post" action="{{actionBase}}/revoke" class="inline"><input type="hidden" name="csrf" value="{{csrfToken}}"><button type="submit">Revoke</button></form>
        {{/active}}
        </td>
        </tr>
        {{/rows}}
        </tbody>
        </table>
        <h2>New key</h2>
        <form method="post" action="{{createAction}}" class="stack">
        <input type="hidden" name="csrf" value="{{csrfToken}}">
        <label for="label">Label</label>
        <input id="label" name="label" required maxlength="100">
        <button type="submit">Create key</button>
        </form>
        {{> footer}}
        """

    static let secret = """
        {{> header}}
        {{#apiKey}}
        <p role="status">Copy the key now: it is shown this once and never again.</p>
        <p><label for="secret">API key</label><br><input id="secret" readonly size="70" value="{{apiKey}}"></p>
        {{/apiKey}}
        {{#rotationToken}}
        <p role="status">Step 2 of 2: confirm to replace the key{{#expiresAt}} (before {{expiresAt}}){{/expiresAt}}. The new key is shown once after confirming.</p>
        <form method="post" action="{{confirmAction}}" class="stack">
        <input type="hidden" name="csrf" value="{{csrfToken}}">
        <input type="hidden" name="token" value="{{rotationToken}}">
        <button type="submit">Confirm rotation</button>
        </form>
        {{/rotationToken}}
        <p><a href="{{keysHref}}">Back to the keys</a></p>
        {{> footer}}
        """

    static let error = """
        {{> header}}
        <p class="error" role="alert">{{message}}</p>
        <p><a href="/">Back to the dashboard</a></p>
        {{> footer}}
        """

    /// The stylesheet at `/static/dashboard.css`.
    static let stylesheet = """
        :root { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fff; }
        body { margin: 0; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 0.5rem; top: 0.5rem; background: #fff; padding: 0.5rem; }
        .top { display: flex; gap: 1rem; align-items: center; padding: 0.75rem 1rem; background: #12355b; color: #fff; }
        .top a { color: #fff; }
        .brand { font-weight: 700; }
        .who { margin-left: auto; }
        main { padding: 1rem; max-width: 72rem; }
        .stack { display: grid; gap: 0.5rem; max-width: 24rem; }
        .inline { display: inline; }
        .error { color: #8a1111; font-weight: 600; }
        table { border-collapse: collapse; }
        th, td { border-bottom: 1px solid #ccc; padding: 0.4rem 0.6rem; text-align: left; }
        button { padding: 0.35rem 0.8rem; }
        :focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
        .tabs { display: flex; gap: 1rem; margin: 0.5rem 0 1rem; }
        .tabs a[aria-current] { font-weight: 700; }
        .count { display: inline-block; min-width: 1.5rem; padding: 0 0.3rem; border-radius: 0.7rem; background: #e3e8ef; color: #1b1b1b; text-align: center; }
        .messages { list-style: none; padding: 0; display: grid; gap: 0.5rem; max-width: 48rem; }
        .bubble { padding: 0.5rem 0.75rem; border-radius: 0.5rem; background: #f1f3f6; }
        .bubble.user { background: #e8f0fe; }
        .bubble.agent { background: #e6f4ea; }
        .bubble[aria-busy="true"] { outline: 2px dashed #12355b; }
        .role { font-size: 0.85rem; color: #4a4a4a; }
        .text { margin: 0.25rem 0 0; white-space: pre-wrap; }
        .live-state { font-size: 0.9rem; color: #4a4a4a; }
        .actions { display: flex; gap: 0.5rem; flex-wrap: wrap; }

        """
}
