/// The widget's browser side, served by the server: `widget.js` (plain JavaScript, no build step,
/// no dependencies) and a demo page that embeds it (docs/widget.md).
package enum WidgetAssets {
    /// `GET /widget.js`. Embed with
    /// `<script src="https://api.example.com/widget.js" data-widget-id="…" defer></script>`.
    package static let script = #"""
        /* MetaChat web chat widget. Protocol: docs/widget.md. */
        (function () {
          "use strict";
          var script = document.currentScript;
          if (!script) { return; }
          var widgetId = script.getAttribute("data-widget-id") || "";
          var base = script.getAttribute("data-api-url") || new URL(script.src, location.href).origin;
          var storeKey = "metachat-widget:" + widgetId + ":token";
          var config = null;
          var socket = null;
          var attempts = 0;
          var lastEventId = 0;
          var pending = {};
          var pendingOrder = [];
          var bubbles = {};
          var greeted = false;

          var style = document.createElement("style");
          style.textContent = [
            "#metachat-widget{position:fixed;right:16px;bottom:16px;width:320px;max-height:480px;display:flex;",
            "flex-direction:column;font:14px/1.4 system-ui,sans-serif;background:#fff;border:1px solid #d0d5dd;",
            "border-radius:10px;box-shadow:0 6px 24px rgba(0,0,0,.15);overflow:hidden;z-index:2147483000}",
            "#metachat-widget header{background:#2563eb;color:#fff;padding:10px 12px;font-weight:600}",
            "#metachat-widget .mc-log{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px;min-height:200px}",
            "#metachat-widget .mc-msg{padding:6px 10px;border-radius:8px;max-width:85%;white-space:pre-wrap;word-wrap:break-word}",
            "#metachat-widget .mc-user{align-self:flex-end;background:#2563eb;color:#fff}",
            "#metachat-widget .mc-assistant,#metachat-widget .mc-agent,#metachat-widget .mc-greeting{align-self:flex-start;background:#f2f4f7;color:#101828}",
            "#metachat-widget .mc-note{align-self:center;color:#667085;font-size:12px}",
            "#metachat-widget form{display:flex;border-top:1px solid #d0d5dd}",
            "#metachat-widget input{flex:1;border:0;padding:10px;font:inherit}",
            "#metachat-widget button{border:0;background:#2563eb;color:#fff;padding:0 14px;font:inherit;cursor:pointer}"
          ].join("");
          document.head.appendChild(style);

          var root = document.createElement("div");
          root.id = "metachat-widget";
          root.setAttribute("data-state", "connecting");
          var header = document.createElement("header");
          header.textContent = "Chat";
          var log = document.createElement("div");
          log.className = "mc-log";
          log.setAttribute("aria-live", "polite");
          var form = document.createElement("form");
          var input = document.createElement("input");
          input.type = "text";
          input.maxLength = 4000;
          input.placeholder = "Type a message";
          input.setAttribute("aria-label", "Message");
          var button = document.createElement("button");
          button.type = "submit";
          button.textContent = "Send";
          form.appendChild(input);
          form.appendChild(button);
          root.appendChild(header);
          root.appendChild(log);
          root.appendChild(form);
          document.body.appendChild(root);

          function bubble(key, role, text) {
            var node = key ? bubbles[key] : null;
            if (!node) {
              node = document.createElement("div");
              if (key) { bubbles[key] = node; }
              log.appendChild(node);
            }
            node.className = "mc-msg mc-" + role;
            node.textContent = text;
            log.scrollTop = log.scrollHeight;
            return node;
          }

          function note(text) {
            var node = document.createElement("div");
            node.className = "mc-note";
            node.textContent = text;
            log.appendChild(node);
            log.scrollTop = log.scrollHeight;
          }

          function clientId() {
            var bytes = new Uint8Array(12);
            crypto.getRandomValues(bytes);
            return "c-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
          }

          function send(frame) {
            if (socket && socket.readyState === 1) { socket.send(JSON.stringify(frame)); }
          }

          function receive(frame) {
            switch (frame.type) {
              case "ready":
                header.textContent = frame.title || "Chat";
                root.setAttribute("data-state", "open");
                root.setAttribute("data-visitor-id", frame.visitorId);
                attempts = 0;
                if (!greeted && config.greeting && lastEventId === 0) {
                  greeted = true;
                  bubble(null, "greeting", config.greeting);
                }
                pendingOrder.forEach(function (id) {
                  send({ type: "message", clientId: id, text: pending[id] });
                });
                break;
              case "message":
                if (frame.eventId <= lastEventId) { return; }
                lastEventId = frame.eventId;
                var key = frame.clientId ? "client:" + frame.clientId : "message:" + frame.id;
                var node = bubble(key, frame.role, frame.text);
                node.setAttribute("data-message-id", frame.id);
                node.setAttribute("data-event-id", String(frame.eventId));
                if (frame.clientId) {
                  delete pending[frame.clientId];
                  pendingOrder = pendingOrder.filter(function (id) { return id !== frame.clientId; });
                } else {
                  bubbles["message:" + frame.id] = node;
                }
                break;
              case "delta":
                if (frame.failed) {
                  var dropped = bubbles["message:" + frame.messageId];
                  if (dropped && !dropped.hasAttribute("data-event-id")) { dropped.remove(); }
                  return;
                }
                var partial = bubbles["message:" + frame.messageId];
                if (partial && partial.hasAttribute("data-event-id")) { return; }
                bubble("message:" + frame.messageId, "assistant", (partial ? partial.textContent : "") + frame.text)
                  .setAttribute("data-streaming", frame.final ? "done" : "yes");
                break;
              case "ack":
                var sent = bubbles["client:" + frame.clientId];
                if (sent) { sent.setAttribute("data-acked", "yes"); }
                break;
              case "typing":
                root.setAttribute("data-typing", frame.typing ? frame.role : "");
                break;
              case "agent_joined":
                if (frame.eventId <= lastEventId) { return; }
                lastEventId = frame.eventId;
                note("An agent joined the conversation.");
                break;
              case "error":
                if (frame.code === "invalid_token") {
                  localStorage.removeItem(storeKey);
                } else if (frame.clientId && frame.code !== "rate_limited") {
                  delete pending[frame.clientId];
                  pendingOrder = pendingOrder.filter(function (id) { return id !== frame.clientId; });
                  note(frame.message);
                } else {
                  note(frame.message);
                }
                break;
            }
          }

          function connect() {
            root.setAttribute("data-state", "connecting");
            var url = base.replace(/^http/, "ws") + config.socketPath;
            socket = new WebSocket(url);
            socket.onopen = function () {
              var hello = { type: "hello", widgetId: widgetId, token: config.visitorToken };
              if (lastEventId > 0) { hello.after = lastEventId; }
              send(hello);
            };
            socket.onmessage = function (event) {
              try { receive(JSON.parse(event.data)); } catch (error) { /* a frame we cannot read */ }
            };
            socket.onclose = function (event) {
              socket = null;
              root.setAttribute("data-state", "closed");
              attempts += 1;
              var delay = Math.min(30000, 500 * Math.pow(2, Math.min(attempts, 6))) * (0.8 + Math.random() * 0.4);
              setTimeout(event.code === 4401 ? start : connect, delay);
            };
          }

          function start() {
            var url = base + "/api/public/widget/config?widgetId=" + encodeURIComponent(widgetId);
            var stored = localStorage.getItem(storeKey);
            if (stored) { url += "&visitorToken=" + encodeURIComponent(stored); }
            fetch(url, { credentials: "omit" }).then(function (response) {
              if (!response.ok) { throw new Error("config " + response.status); }
              return response.json();
            }).then(function (body) {
              config = body;
              localStorage.setItem(storeKey, body.visitorToken);
              connect();
            }).catch(function () {
              attempts += 1;
              setTimeout(start, Math.min(30000, 1000 * Math.pow(2, Math.min(attempts, 5))));
            });
          }

          form.addEventListener("submit", function (event) {
            event.preventDefault();
            var text = input.value;
            if (!text.trim()) { return; }
            input.value = "";
            var id = clientId();
            pending[id] = text;
            pendingOrder.push(id);
            bubble("client:" + id, "user", text).setAttribute("data-client-id", id);
            send({ type: "message", clientId: id, text: text });
          });

          start();
        })();
        """#

    /// `GET /widget/demo?widgetId=…`: a page that embeds the widget.
    package static func demoPage(widgetID: String) -> String {
        let escaped = Self.escapeHTML(widgetID)
        return """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>MetaChat widget demo</title></head>
            <body>
            <h1>MetaChat widget demo</h1>
            <p>The chat in the corner is the web chat widget of widget <code>\(escaped)</code>.</p>
            <script src="/widget.js" data-widget-id="\(escaped)" defer></script>
            </body>
            </html>

            """
    }

    private static func escapeHTML(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
